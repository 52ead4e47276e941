package io.wxim.chat.room;

import io.wxim.chat.config.ChatProperties;
import io.wxim.chat.message.HistoryClient;
import io.wxim.chat.presence.LeaveNews;
import io.wxim.chat.presence.PresenceFrames;
import io.wxim.chat.presence.PresenceRepository;
import io.wxim.chat.routing.Deliveries;
import io.wxim.protocol.ClientFrame;
import io.wxim.protocol.Command;
import io.wxim.protocol.Conversations;
import io.wxim.protocol.ErrorCode;
import io.wxim.protocol.NodeMessage;
import io.wxim.protocol.ProtocolException;
import io.wxim.protocol.ServerFrame;
import io.wxim.protocol.UserRef;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.stereotype.Service;
import reactor.core.publisher.Mono;
import reactor.util.function.Tuples;

/**
 * Room commands from a connection: list, create, join, leave, online members. Joins and leaves change which
 * conversations the user's connections receive on every gateway they are connected to; the requester's own reply is
 * written only after its gateway applied the change.
 */
@Service
public class RoomCommands {
    private final RoomService rooms;
    private final PresenceRepository presence;
    private final HistoryClient history;
    private final Deliveries deliveries;
    private final ChatProperties props;

    public RoomCommands(RoomService rooms, PresenceRepository presence, HistoryClient history, Deliveries deliveries,
                        ChatProperties props) {
        this.rooms = rooms;
        this.presence = presence;
        this.history = history;
        this.deliveries = deliveries;
        this.props = props;
    }

    public Mono<NodeMessage> list(Command cmd, ClientFrame.ListRooms frame) {
        Mono<List<ServerFrame.RoomInfo>> listed = rooms.list().collectList().zipWith(rooms.memberships(cmd.user().id()))
                .flatMap(t -> {
                    List<String> convs = new ArrayList<>();
                    List<String> names = new ArrayList<>();
                    convs.add(Conversations.LOBBY);
                    names.add(props.lobbyName());
                    t.getT1().forEach(room -> {
                        convs.add(Conversations.room(room.id()));
                        names.add(room.name());
                    });
                    Set<String> memberOf = t.getT2();
                    return presence.onlineCounts(convs).collectList().map(counts -> {
                        List<ServerFrame.RoomInfo> infos = new ArrayList<>();
                        for (int i = 0; i < convs.size(); i++) {
                            String conv = convs.get(i);
                            boolean member = i == 0 || memberOf.contains(conv);
                            infos.add(new ServerFrame.RoomInfo(conv, names.get(i), counts.get(i), member));
                        }
                        return infos;
                    });
                });
        return listed.map(infos -> deliveries.reply(cmd, new ServerFrame.Rooms(frame.rid(), infos)));
    }

    public Mono<NodeMessage> create(Command cmd, ClientFrame.CreateRoom frame) {
        UserRef user = cmd.user();
        // refused at the limit after its membership was inserted: undone as a refused join's (a new last leave)
        return rooms.create(frame.name(), user.id(), frame.rid(), conv -> undoRefusedJoin(conv, user)).flatMap(room -> {
            String conv = Conversations.room(room.id());
            return presence.markCreatorOnline(conv, user.id()).flatMap(online -> subscribeEverywhere(cmd, conv,
                    new ServerFrame.Joined(frame.rid(), conv, room.name(), online, 0)));
        });
    }

    public Mono<NodeMessage> join(Command cmd, ClientFrame.Join frame) {
        UserRef user = cmd.user();
        String conv = frame.conv();
        // the room's last seq first: a history failure refuses the join before anything is written (read after the
        // writes it left a member unsubscribed; alongside them it cut them off midway, ADR-35); a message stored
        // between this read and the subscribe is still stated (ADR-27)
        return history.lastSeqs(List.of(conv)).flatMap(seqs -> rooms.join(conv, user.id())
                // refused at the limit: a connect that read the memberships while the refused one existed (the count
                // after an insert removes it again) may have registered the user online in the room and subscribed it,
                // or be about to: undone, and such a connect reads the memberships again (a new last leave)
                .onErrorResume(e -> e instanceof ProtocolException p && p.code() == ErrorCode.TOO_LARGE,
                        e -> undoRefusedJoin(conv, user).then(Mono.error(e)))
                // announced in the step that marks the user online (mark_online.lua): a failure after it cannot lose
                // it; a retry whose earlier attempt inserted the membership (not newly now) announces it if that
                // attempt never got to the step, as the step then adds the user to the online set
                .flatMap(joined -> presence.markOnline(conv, user.id(), joined.newly(), PresenceFrames.joined(user, deliveries::encode))
                        .map(marked -> Tuples.of(joined.name(), marked.online())))
                .flatMap(t -> subscribeEverywhere(cmd, conv, new ServerFrame.Joined(frame.rid(), conv, t.getT1(),
                        t.getT2(), seqs.getOrDefault(conv, 0L)))));
    }

    /**
     * The membership goes (MongoDB), then, in one Redis step, the user leaves the room's online set and the user's last
     * leave changes (ADR-31), the room is told, every gateway of the user unsubscribes (this one too, so the user's
     * other connections here stop before they are told), and the user's other connections get {@code left}. A leave of
     * a room the user is not in answers NOT_FOUND; if the user is still recorded online in it (an earlier attempt
     * removed the membership, then failed before Redis), that leave is finished first (online set, last leave and the
     * room's memberLeft in one step, then the unsubscribes; the user's other connections get no {@code left}), as it
     * is when the user's connections changed since (no longer recorded online in it) but its join was told; if the
     * user left it recently (an earlier attempt got past Redis), the
     * unsubscribes go out again with that leave's value, unless the user is a member again (joined meanwhile on
     * another device).
     */
    public Mono<NodeMessage> leave(Command cmd, ClientFrame.Leave frame) {
        UserRef user = cmd.user();
        String conv = frame.conv();
        return rooms.leave(conv, user.id()).thenReturn(true)
                .onErrorResume(e -> e instanceof ProtocolException p && p.code() == ErrorCode.NOT_FOUND
                        && Conversations.isRoom(conv) && !Conversations.LOBBY.equals(conv), e -> Mono.just(false))
                .flatMap(removed -> !removed ? finishLeave(conv, user).then(Mono.error(RoomService.notFound()))
                        // told in the leave's step (room_leave.lua): a failure after it cannot lose the news, as a
                        // retried leave finds no membership and only finishes what Redis still records
                        : presence.leave(conv, user.id(), LeaveNews.of(user, conv, cmd.conn(), deliveries))
                                .map(left -> NodeMessage.unsubscribe(user.id(), List.of(conv), cmd.conn(), cmd.ref(),
                                        List.of(deliveries.encode(new ServerFrame.Left(frame.rid(), conv))), left.leaves())));
    }

    /**
     * For a user who is not a member of {@code conv} (any more): if still recorded online in it, out of it with the
     * room told {@code memberLeft} in that step ({@code room_leave.lua}'s finishing mode: the attempt that removed the
     * membership never told it), then unsubscribed everywhere; if they left it recently, that leave's
     * unsubscribe again. Not when the user is a member again (joined meanwhile on another device): the join's
     * subscribe would be undone by this late unsubscribe, and the user's connections miss the room.
     */
    private Mono<Void> finishLeave(String conv, UserRef user) {
        return unsubscribeUnlessMember(conv, user.id(), presence.finishLeave(conv, user.id(),
                PresenceFrames.left(user, deliveries::encode)));
    }

    /**
     * A join refused at the room limit: its Redis side undone ({@link PresenceRepository#undoJoin}), then the user's
     * gateways unsubscribe, unless the user is a member after all (a join on another device got in after the refused
     * one was removed): then the undo took that join's user out of the online set, so it is marked online again, and
     * told again after the undo's memberLeft.
     */
    private Mono<Void> undoRefusedJoin(String conv, UserRef user) {
        return presence.undoJoin(conv, user.id(), PresenceFrames.left(user, deliveries::encode))
                .flatMap(left -> rooms.isMember(conv, user.id()).flatMap(member -> member
                        ? presence.markOnline(conv, user.id(), true, PresenceFrames.joined(user, deliveries::encode)).then()
                        : deliveries.toUserNodes(user.id(), null,
                                NodeMessage.unsubscribe(user.id(), List.of(conv), null, 0, List.of(), left.leaves()))));
    }

    /** After {@code step}: the user's gateways unsubscribe from {@code conv} with its leave value, unless a member again. */
    private Mono<Void> unsubscribeUnlessMember(String conv, String userId, Mono<PresenceRepository.Left> step) {
        return step.flatMap(left -> left.leaves() == 0 ? Mono.<Void>empty()
                : rooms.isMember(conv, userId).flatMap(member -> member ? Mono.<Void>empty()
                        : deliveries.toUserNodes(userId, null,
                                NodeMessage.unsubscribe(userId, List.of(conv), null, 0, List.of(), left.leaves()))));
    }

    public Mono<NodeMessage> members(Command cmd, ClientFrame.ListMembers frame) {
        return rooms.requireMember(frame.conv(), cmd.user().id())
                .thenMany(presence.onlineMembers(frame.conv(), props.maxMembersListed()))
                .collectList()
                .map(members -> deliveries.reply(cmd, new ServerFrame.Members(frame.rid(), frame.conv(), members)));
    }

    /**
     * The user's other gateways subscribe now; the requester's subscribes with the answer. Each gateway tells the
     * user's other connections ({@code joined} without {@code rid}) once it has subscribed them, and the requester's
     * writes {@code joined} to it; each with its last seq raised if a later message was published meanwhile (ADR-27).
     * So no device of the user is told before it receives the room.
     */
    private Mono<NodeMessage> subscribeEverywhere(Command cmd, String conv, ServerFrame.Joined joined) {
        String userId = cmd.user().id();
        Map<String, Long> seqs = Map.of(conv, joined.lastSeq());
        List<String> event = List.of(deliveries.encode(
                new ServerFrame.Joined(null, conv, joined.name(), joined.online(), joined.lastSeq())));
        return toOtherNodes(cmd, NodeMessage.subscribe(userId, List.of(conv), null, 0, List.of(), seqs, event))
                .then(Mono.fromSupplier(() -> NodeMessage.subscribe(userId, List.of(conv), cmd.conn(), cmd.ref(),
                        List.of(deliveries.encode(joined)), seqs, event)));
    }

    /** Sends a subscription change to every other gateway node where the user has connections (one round trip). */
    private Mono<Void> toOtherNodes(Command cmd, NodeMessage change) {
        return deliveries.toUserNodes(cmd.user().id(), cmd.node(), change);
    }

}
