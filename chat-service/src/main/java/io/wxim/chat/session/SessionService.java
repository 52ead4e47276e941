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
        return presence.connect(user, cmd.node(), cmd.conn())
                .zipWith(rooms.conversationsOf(user.id()))
                .flatMap(t -> {
                    boolean cameOnline = t.getT1();
                    List<String> convs = t.getT2();
                    return Flux.fromIterable(convs)
                            .concatMap(conv -> presence.markOnline(conv, user.id())
                                    .flatMap(online -> cameOnline
                                            ? deliveries.toConversation(conv, online(conv, user, online)).thenReturn(online)
                                            : Mono.just(online)))
                            .collectList()
                            .flatMap(counts -> welcome(user, convs, counts));
                })
                .map(welcome -> NodeMessage.subscribe(user.id(), welcomeConvs(welcome), cmd.conn(), cmd.ref(),
                        List.of(deliveries.encode(welcome))));
    }

    public Mono<Void> disconnect(Command cmd) {
        UserRef user = cmd.user();
        return presence.disconnect(user.id(), cmd.conn()).flatMap(wentOffline -> {
            if (!wentOffline) {
                return Mono.<Void>empty();
            }
            return rooms.conversationsOf(user.id()).flatMapMany(Flux::fromIterable)
                    .concatMap(conv -> presence.markOffline(conv, user.id())
                            .flatMap(online -> deliveries.toConversation(conv, offline(conv, user, online))))
                    .then();
        });
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
