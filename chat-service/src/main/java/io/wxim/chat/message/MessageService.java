package io.wxim.chat.message;

import io.wxim.chat.config.ChatProperties;
import io.wxim.chat.direct.DirectService;
import io.wxim.chat.pair.PairRepository;
import io.wxim.chat.read.SenderCursors;
import io.wxim.chat.room.RoomService;
import io.wxim.chat.routing.MemberDeliveries;
import io.wxim.protocol.Conversations;
import io.wxim.protocol.ClientFrame;
import io.wxim.protocol.ErrorCode;
import io.wxim.protocol.ProtocolException;
import io.wxim.protocol.ServerFrame;
import io.wxim.protocol.UserRef;
import java.util.List;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The send and sync use cases. A message is acknowledged only after history-service stored it (and gave it its
 * seq); then it is published once to its members (a room's channel, or both users of a direct or pair conversation
 * on every device). A retried send (same cmid) gets the original ack and is published again, harmlessly: clients
 * drop duplicates by seq. Sending moves the sender's read cursor to the message (one's own messages are not unread).
 */
@Service
public class MessageService {
    private static final Logger log = LoggerFactory.getLogger(MessageService.class);

    private final RoomService rooms;
    private final DirectService directs;
    private final PairRepository pairs;
    private final SenderCursors senderCursors;
    private final HistoryClient history;
    private final HistoryStores stores;
    private final LastSeqs lastSeqs;
    private final MemberDeliveries deliveries;
    private final ChatProperties props;
    private final Clock clock;

    private final io.micrometer.core.instrument.Counter syncRequests;

    public MessageService(RoomService rooms, DirectService directs, PairRepository pairs, SenderCursors senderCursors,
                          HistoryClient history, HistoryStores stores, LastSeqs lastSeqs, MemberDeliveries deliveries,
                          ChatProperties props, Clock clock,
                          io.micrometer.core.instrument.MeterRegistry meters) {
        this.syncRequests = meters.counter("im.chat.sync.requests");
        this.rooms = rooms;
        this.directs = directs;
        this.pairs = pairs;
        this.senderCursors = senderCursors;
        this.history = history;
        this.stores = stores;
        this.lastSeqs = lastSeqs;
        this.deliveries = deliveries;
        this.props = props;
        this.clock = clock;
    }

    public Mono<ServerFrame> send(UserRef from, ClientFrame.Send send) {
        return target(from.id(), send)
                .flatMap(conv -> stores.store(conv, from, send))
                // delivery and the sender's read cursor are independent: both run at once, the ack after both
                .flatMap(stored -> Mono.when(deliveries.toMembers(stored.conv(), stored.toFrame()),
                                advanceCursor(stored, from.id()))
                        .thenReturn(new ServerFrame.Ack(send.rid(), send.cmid(), stored.conv(), stored.seq(),
                                stored.id(), stored.ts())));
    }

    /**
     * Where a send goes, after authorization: {@code to} opens the direct conversation with that user; a pair
     * conversation takes messages only while the session is active (CONFLICT after it ended); anything else needs
     * membership (NOT_FOUND otherwise).
     */
    private Mono<String> target(String userId, ClientFrame.Send send) {
        if (send.to() != null) {
            return directs.open(userId, send.to());
        }
        String conv = send.conv();
        if (Conversations.isPair(conv)) {
            return pairs.sessionOf(userId).filter(conv::equals)
                    .switchIfEmpty(rooms.isMember(conv, userId).flatMap(member -> Mono.error(member
                            ? new ProtocolException(ErrorCode.CONFLICT, "the pair session has ended")
                            : RoomService.notFound())));
        }
        return rooms.requireMember(conv, userId).thenReturn(conv);
    }

    /**
     * Recalls the user's own message within the recall window. History stores a recall notice (a message of kind
     * {@code recall}, the next seq). Every member gets a {@code recalled} event (it names the message's id, the
     * notice does not), then the notice is delivered like a sent message (and moves the recaller's read cursor), so
     * devices that were offline learn of the recall from sync.
     */
    public Mono<ServerFrame> recall(UserRef user, ClientFrame.Recall recall) {
        long notBefore = clock.millis() - props.recallWindow().toMillis();
        return rooms.requireMember(recall.conv(), user.id())
                .then(history.recall(recall.conv(), recall.seq(), user, notBefore))
                .flatMap(done -> deliveries.toMembers(done.conv(),
                                new ServerFrame.Recalled(null, done.conv(), done.seq(), done.id(), user.id()))
                        .then(deliverNotice(done.notice(), user.id()))
                        .thenReturn(new ServerFrame.Recalled(recall.rid(), done.conv(), done.seq(), done.id(),
                                user.id())));
    }

    private Mono<Void> deliverNotice(HistoryClient.Stored notice, String userId) {
        if (notice == null) {
            return Mono.empty(); // an older history-service: the event alone, as before notices
        }
        return Mono.when(deliveries.toMembers(notice.conv(), notice.toFrame()), advanceCursor(notice, userId));
    }

    private Mono<Void> advanceCursor(HistoryClient.Stored stored, String userId) {
        return senderCursors.advance(stored.conv(), userId, stored.seq())
                .doOnError(e -> log.warn("read cursor not moved: conversationId={} error={}", stored.conv(),
                        e.toString()))
                .onErrorResume(e -> Mono.empty());
    }

    /**
     * One {@code synced} frame per conversation (or an error frame for one the user is not in), in conv order. All
     * frames together carry at most {@code syncBudget} messages; conversations past the budget answer
     * {@code more: true} with no messages, and the client asks again.
     */
    public Mono<List<ServerFrame>> sync(UserRef user, ClientFrame.Sync sync) {
        syncRequests.increment();
        int page = sync.limit() == null ? props.history().syncPage() : Math.min(sync.limit(), props.history().syncPage());
        int[] budget = {props.history().syncBudget()};
        // The last seqs first, in a read shared with other syncs and welcomes (LastSeqs): a conversation the client is
        // up to date on (after a reconnect, most) costs no history read. If they cannot be read, every conversation is
        // read as before.
        return lastSeqs.of(sync.convs().keySet()).map(Optional::of)
                .onErrorResume(e -> {
                    log.warn("last seqs not read for a sync, reading every conversation: userId={} error={}",
                            user.id(), e.toString());
                    return Mono.just(Optional.empty());
                })
                .flatMap(last -> Flux.fromIterable(sync.convs().entrySet().stream().sorted(Map.Entry.comparingByKey()).toList())
                        .concatMap(entry -> {
                            if (budget[0] <= 0) {
                                return Mono.just((ServerFrame) new ServerFrame.Synced(sync.rid(), entry.getKey(), List.of(), true));
                            }
                            Long lastSeq = last.map(seqs -> seqs.getOrDefault(entry.getKey(), 0L)).orElse(null);
                            return syncOne(user, sync.rid(), entry.getKey(), entry.getValue(), Math.min(page, budget[0]), lastSeq)
                                    .doOnNext(frame -> {
                                        if (frame instanceof ServerFrame.Synced synced) {
                                            budget[0] -= synced.messages().size();
                                        }
                                    });
                        })
                        .collectList());
    }

    /** {@code lastSeq}: the conversation's last seq read for this sync, or null if unknown. */
    private Mono<ServerFrame> syncOne(UserRef user, String rid, String conv, long after, int limit, Long lastSeq) {
        return rooms.isMember(conv, user.id()).<ServerFrame>flatMap(member -> {
            if (!member) {
                return Mono.just(ServerFrame.Error.ofConversation(rid, conv, ErrorCode.NOT_FOUND, "no such conversation: " + conv));
            }
            if (lastSeq != null && after >= lastSeq) {
                return Mono.just(new ServerFrame.Synced(rid, conv, List.of(), false)); // up to date
            }
            return history.after(conv, after, limit).<ServerFrame>map(page -> new ServerFrame.Synced(rid, conv,
                    page.messages(), page.more()));
        }).onErrorResume(ProtocolException.class, e -> Mono.just(ServerFrame.Error.ofConversation(rid, conv, e.code(), e.getMessage())));
    }
}
