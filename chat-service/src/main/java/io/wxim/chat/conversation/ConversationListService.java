package io.wxim.chat.conversation;

import io.wxim.chat.direct.DirectService;
import io.wxim.chat.message.HistoryClient;
import io.wxim.chat.pair.PairRecords;
import io.wxim.chat.pair.PairRepository;
import io.wxim.chat.read.ReadCursorRepository;
import io.wxim.chat.room.RoomService;
import io.wxim.protocol.Conversations;
import io.wxim.protocol.ServerFrame;
import io.wxim.protocol.UserRef;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Service;
import reactor.core.publisher.Mono;

/**
 * The signed-in user's conversations (lobby, rooms, direct and pair conversations) with last message, last seq and
 * unread count, newest activity first. Direct and pair conversations are capped at {@code maxConversationsListed}
 * (newest joined), rooms at {@code maxRoomsPerUser}.
 */
@Service
public class ConversationListService {
    private final RoomService rooms;
    private final DirectService directs;
    private final PairRepository pairs;
    private final PairRecords pairRecords;
    private final ReadCursorRepository cursors;
    private final HistoryClient history;

    public ConversationListService(RoomService rooms, DirectService directs, PairRepository pairs, PairRecords pairRecords,
                                   ReadCursorRepository cursors, HistoryClient history) {
        this.pairRecords = pairRecords;
        this.rooms = rooms;
        this.directs = directs;
        this.pairs = pairs;
        this.cursors = cursors;
        this.history = history;
    }

    public Mono<List<ConversationSummary>> list(String userId) {
        return Mono.zip(rooms.membershipsOf(userId), pairs.sessionOf(userId).defaultIfEmpty(""))
                .flatMap(t -> pairRecords.withActive(userId, t.getT2(), t.getT1().directs()).flatMap(directConvs -> {
                    List<String> roomConvs = t.getT1().rooms();
                    String activePair = t.getT2();
                    List<String> all = new ArrayList<>(roomConvs);
                    all.addAll(directConvs);
                    return Mono.zip(rooms.names(roomConvs), history.lastMessages(all), cursors.cursors(userId, all),
                                    directs.peersOf(userId, directConvs))
                            .map(d -> build(all, d.getT1(), d.getT2(), d.getT3(), d.getT4(), activePair));
                }));
    }

    private static List<ConversationSummary> build(List<String> convs, Map<String, String> names,
                                                   Map<String, ServerFrame.Message> last, Map<String, Long> read,
                                                   Map<String, UserRef> peers, String activePair) {
        List<ConversationSummary> list = new ArrayList<>();
        for (String conv : convs) {
            ServerFrame.Message message = last.get(conv);
            long lastSeq = message == null ? 0 : message.seq();
            long unread = Math.max(0, lastSeq - read.getOrDefault(conv, 0L));
            if (Conversations.isRoom(conv)) {
                if (names.containsKey(conv)) {
                    list.add(new ConversationSummary(conv, "room", names.get(conv), null, lastSeq, unread, message, null));
                }
            } else if (peers.containsKey(conv)) {
                UserRef peer = peers.get(conv);
                boolean pair = Conversations.isPair(conv);
                list.add(new ConversationSummary(conv, pair ? "pair" : "direct",
                        peer.displayName(), peer, lastSeq, unread, message,
                        pair ? conv.equals(activePair) : null));
            }
        }
        list.sort(Comparator.comparingLong((ConversationSummary c) -> c.lastMessage() == null ? 0 : c.lastMessage().ts())
                .reversed().thenComparing(ConversationSummary::conv));
        return list;
    }
}
