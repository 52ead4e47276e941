package io.wxim.chat.message;

import io.wxim.chat.config.ChatProperties;
import io.wxim.chat.room.RoomService;
import io.wxim.chat.routing.Deliveries;
import io.wxim.protocol.ClientFrame;
import io.wxim.protocol.ErrorCode;
import io.wxim.protocol.ProtocolException;
import io.wxim.protocol.ServerFrame;
import io.wxim.protocol.UserRef;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Service;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The send and sync use cases. A message is acknowledged only after history-service stored it (and gave it its
 * seq); then it is published once to the conversation's channel. A retried send (same cmid) gets the original ack
 * and is published again, harmlessly: clients drop duplicates by seq.
 */
@Service
public class MessageService {
    private final RoomService rooms;
    private final HistoryClient history;
    private final Deliveries deliveries;
    private final ChatProperties props;

    public MessageService(RoomService rooms, HistoryClient history, Deliveries deliveries, ChatProperties props) {
        this.rooms = rooms;
        this.history = history;
        this.deliveries = deliveries;
        this.props = props;
    }

    public Mono<ServerFrame> send(UserRef from, ClientFrame.Send send) {
        return rooms.requireMember(send.conv(), from.id())
                .then(history.store(send.conv(), from, send.cmid(), send.body()))
                .flatMap(stored -> deliveries.toConversation(stored.conv(), stored.toFrame())
                        .thenReturn(new ServerFrame.Ack(send.rid(), send.cmid(), stored.conv(), stored.seq(),
                                stored.id(), stored.ts())));
    }

    /**
     * One {@code synced} frame per conversation (or an error frame for one the user is not in), in conv order. All
     * frames together carry at most {@code syncBudget} messages; conversations past the budget answer
     * {@code more: true} with no messages, and the client asks again.
     */
    public Mono<List<ServerFrame>> sync(UserRef user, ClientFrame.Sync sync) {
        int page = sync.limit() == null ? props.history().syncPage() : Math.min(sync.limit(), props.history().syncPage());
        int[] budget = {props.history().syncBudget()};
        return Flux.fromIterable(sync.convs().entrySet().stream().sorted(Map.Entry.comparingByKey()).toList())
                .concatMap(entry -> {
                    if (budget[0] <= 0) {
                        return Mono.just((ServerFrame) new ServerFrame.Synced(sync.rid(), entry.getKey(), List.of(), true));
                    }
                    return syncOne(user, sync.rid(), entry.getKey(), entry.getValue(), Math.min(page, budget[0]))
                            .doOnNext(frame -> {
                                if (frame instanceof ServerFrame.Synced synced) {
                                    budget[0] -= synced.messages().size();
                                }
                            });
                })
                .collectList();
    }

    private Mono<ServerFrame> syncOne(UserRef user, String rid, String conv, long after, int limit) {
        return rooms.isMember(conv, user.id()).<ServerFrame>flatMap(member -> {
            if (!member) {
                return Mono.just(ServerFrame.Error.of(rid, null, ErrorCode.NOT_FOUND, "no such conversation: " + conv));
            }
            return history.after(conv, after, limit).<ServerFrame>map(page -> new ServerFrame.Synced(rid, conv,
                    page.messages(), page.more()));
        }).onErrorResume(ProtocolException.class, e -> Mono.just(ServerFrame.Error.of(rid, null, e.code(), e.getMessage())));
    }
}
