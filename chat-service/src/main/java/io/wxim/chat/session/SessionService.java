package io.wxim.chat.session;

import io.wxim.chat.config.ChatProperties;
import io.wxim.chat.message.HistoryClient;
import io.wxim.chat.presence.PresenceRepository;
import io.wxim.chat.room.RoomService;
import io.wxim.chat.routing.Deliveries;
import io.wxim.protocol.Command;
import io.wxim.protocol.Conversations;
import io.wxim.protocol.NodeMessage;
import io.wxim.protocol.ServerFrame;
import io.wxim.protocol.UserRef;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Service;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Connection lifecycle: registers presence, tells the gateway which conversations to subscribe the connection to,
 * and welcomes the client; on the first connection / last disconnection of a user, announces presence to the user's
 * conversations (in the lobby as memberJoined / memberLeft, since being online is being in the lobby).
 */
@Service
public class SessionService {
    private final PresenceRepository presence;
    private final RoomService rooms;
    private final HistoryClient history;
    private final Deliveries deliveries;
    private final ChatProperties props;

    public SessionService(PresenceRepository presence, RoomService rooms, HistoryClient history,
                          Deliveries deliveries, ChatProperties props) {
        this.presence = presence;
        this.rooms = rooms;
        this.history = history;
        this.deliveries = deliveries;
        this.props = props;
    }

    public Mono<NodeMessage> connect(Command cmd) {
        UserRef user = cmd.user();
        return rooms.conversationsOf(user.id()).flatMap(convs -> presence.connect(user, cmd.node(), cmd.conn(), convs)
                .flatMap(outcome -> {
                    if (outcome == PresenceRepository.Connect.ALREADY_CLOSED) {
                        // the connection closed before this CONNECT ran: nothing to welcome
                        return Mono.just(NodeMessage.reply(user.id(), cmd.conn(), cmd.ref(), List.of()));
                    }
                    boolean cameOnline = outcome == PresenceRepository.Connect.CAME_ONLINE;
                    return presence.onlineCounts(convs).collectList()
                            .flatMap(counts -> announce(cameOnline, convs, counts, user, true).thenReturn(counts))
                            .flatMap(counts -> welcome(user, convs, counts))
                            .map(welcome -> NodeMessage.subscribe(user.id(), welcomeConvs(welcome), cmd.conn(),
                                    cmd.ref(), List.of(deliveries.encode(welcome))));
                }));
    }

    public Mono<Void> disconnect(Command cmd) {
        UserRef user = cmd.user();
        return rooms.conversationsOf(user.id()).flatMap(convs -> presence.disconnect(user.id(), cmd.conn(), convs)
                .flatMap(wentOffline -> !wentOffline ? Mono.<Void>empty()
                        : presence.onlineCounts(convs).collectList()
                                .flatMap(counts -> announce(true, convs, counts, user, false))));
    }

    /** On the first connection / last disconnection of a user, tells each of the user's conversations. */
    private Mono<Void> announce(boolean changed, List<String> convs, List<Long> counts, UserRef user, boolean online) {
        if (!changed) {
            return Mono.empty();
        }
        return Flux.range(0, convs.size())
                .concatMap(i -> deliveries.toConversation(convs.get(i), online
                        ? online(convs.get(i), user, counts.get(i))
                        : offline(convs.get(i), user, counts.get(i))))
                .then();
    }

    private Mono<ServerFrame.Welcome> welcome(UserRef user, List<String> convs, List<Long> counts) {
        return Mono.zip(rooms.names(convs), history.lastSeqs(convs)).map(t -> {
            Map<String, String> names = t.getT1();
            Map<String, Long> seqs = t.getT2();
            List<ServerFrame.ConversationInfo> infos = new java.util.ArrayList<>();
            for (int i = 0; i < convs.size(); i++) {
                String conv = convs.get(i);
                if (names.containsKey(conv)) {
                    infos.add(new ServerFrame.ConversationInfo(conv, names.get(conv), seqs.getOrDefault(conv, 0L),
                            counts.get(i)));
                }
            }
            return new ServerFrame.Welcome(user, infos, props.heartbeatSeconds());
        });
    }

    private static List<String> welcomeConvs(ServerFrame.Welcome welcome) {
        return welcome.conversations().stream().map(ServerFrame.ConversationInfo::conv).toList();
    }

    private static ServerFrame online(String conv, UserRef user, long online) {
        return Conversations.LOBBY.equals(conv)
                ? new ServerFrame.MemberJoined(conv, user, online)
                : new ServerFrame.Presence(conv, user, "online", online);
    }

    private static ServerFrame offline(String conv, UserRef user, long online) {
        return Conversations.LOBBY.equals(conv)
                ? new ServerFrame.MemberLeft(conv, user, online)
                : new ServerFrame.Presence(conv, user, "offline", online);
    }
}
