package io.wxim.chat.session;

import io.wxim.chat.config.ChatProperties;
import io.wxim.chat.direct.DirectService;
import io.wxim.chat.message.LastSeqs;
import io.wxim.chat.pair.PairRecords;
import io.wxim.chat.presence.PresenceFrames;
import io.wxim.chat.presence.PresenceRepository;
import io.wxim.chat.profile.ProfileService;
import io.wxim.chat.room.Memberships;
import io.wxim.chat.room.RoomService;
import io.wxim.chat.routing.Deliveries;
import io.wxim.protocol.Command;
import io.wxim.protocol.Conversations;
import io.wxim.protocol.NodeMessage;
import io.wxim.protocol.ServerFrame;
import io.wxim.protocol.UserRef;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;
import reactor.core.publisher.Mono;

/**
 * Connection lifecycle: registers presence, tells the gateway which conversations to subscribe the connection to,
 * and welcomes the client; on the first connection / last disconnection of a user, announces presence to the user's
 * conversations (in the lobby as memberJoined / memberLeft, since being online is being in the lobby; in crowded
 * rooms as a periodic online count instead, {@link io.wxim.chat.presence.CrowdPresence}), in the Redis step that makes
 * the change.
 * Rooms are delivered through per-conversation subscriptions; direct and pair conversations reach the user's
 * connections directly, so they are listed in {@code welcome} (for sync) but not subscribed. A user in a pair session
 * who goes offline starts the session's grace period; connecting again cancels it.
 */
@Service
public class SessionService {
    private static final Logger log = LoggerFactory.getLogger(SessionService.class);
    /**
     * How often a connect reads the memberships because the user left a room meanwhile; the last read is registered
     * whatever happens, without the rooms left after it (a leave on another device during every read, ADR-31).
     */
    static final int MEMBERSHIP_READS = 3;
    private final PresenceRepository presence;
    private final RoomService rooms;
    private final ProfileService profiles;
    private final DirectService directService;
    private final LastSeqs lastSeqs;
    private final Deliveries deliveries;
    private final PairRecords pairRecords;
    private final ChatProperties props;
    private final Clock clock;

    public SessionService(PresenceRepository presence, RoomService rooms, ProfileService profiles, DirectService directService,
                          LastSeqs lastSeqs, Deliveries deliveries, PairRecords pairRecords,
                          ChatProperties props, Clock clock) {
        this.pairRecords = pairRecords;
        this.presence = presence;
        this.rooms = rooms;
        this.profiles = profiles;
        this.directService = directService;
        this.lastSeqs = lastSeqs;
        this.deliveries = deliveries;
        this.props = props;
        this.clock = clock;
    }

    /**
     * Two Redis round trips and one Mongo read for a known user with few conversations (plus the welcome's room names,
     * last seqs and direct peers): {@link PresenceRepository#prepare}, {@link RoomService#membershipsOf},
     * {@link PresenceRepository#connect}. Read again (from the first step) if the user left a room while they were
     * read, so the leave is not undone for this connection.
     */
    public Mono<NodeMessage> connect(Command cmd) {
        return connect(cmd, 1);
    }

    private Mono<NodeMessage> connect(Command cmd, int read) {
        UserRef user = cmd.user();
        // In a backlog (a reconnect storm), many connections are gone before their CONNECT runs: skip their work.
        // Reachable first (as a connection being set up): what is delivered to the user while the memberships are
        // read reaches this connection too (a conversation created meanwhile is in neither the read nor the welcome).
        return presence.prepare(user.id(), cmd.node(), cmd.conn()).flatMap(prepared -> prepared.closed()
                ? Mono.just(deliveries.reply(cmd, List.of()))
                : profiles.record(user, prepared.cachedProfile())
                        .then(rooms.membershipsOf(user.id()))
                        .flatMap(memberships -> connect(cmd, memberships, prepared.leaves(), read)));
    }

    /** Registers the connection unless the user left a room since {@code leaves} was read; then reads again. */
    private Mono<NodeMessage> connect(Command cmd, Memberships memberships, String leaves, int read) {
        UserRef user = cmd.user();
        List<String> convs = memberships.rooms();
        boolean lastRead = read >= MEMBERSHIP_READS;
        // coming online is announced in the same step (connect.lua): a failure after it cannot lose the announcements,
        // as a redelivered CONNECT finds the connection registered and announces nothing
        // a room joined within a join record's time may be a join not told yet (PresenceRepository#connect); its
        // frames are encoded only then
        Set<String> joinedRecently = PresenceRepository.recentJoins(memberships.roomsJoinedAt(), clock.millis());
        return presence.connect(user, cmd.node(), cmd.conn(), convs, leaves, lastRead,
                PresenceFrames.online(user, deliveries::encode), joinedRecently,
                () -> PresenceFrames.joined(user, deliveries::encode)).flatMap(connected -> {
            if (connected.outcome() == PresenceRepository.Connect.ALREADY_CLOSED) {
                // the connection closed before this CONNECT ran: nothing to welcome
                return Mono.just(deliveries.reply(cmd, List.of()));
            }
            if (connected.outcome() == PresenceRepository.Connect.MEMBERSHIPS_CHANGED) {
                log.debug("a room was left while the memberships were read, reading them again: userId={} connId={}",
                        user.id(), cmd.conn());
                return connect(cmd, read + 1);
            }
            List<String> kept = new ArrayList<>(convs.size());
            List<Long> counts = new ArrayList<>(convs.size());
            for (int i = 0; i < convs.size(); i++) {
                if (connected.counts().get(i) >= 0) { // else left after this read (only when the last read was forced)
                    kept.add(convs.get(i));
                    counts.add(connected.counts().get(i));
                }
            }
            return pairRecords.withActive(user.id(), connected.pairSession(), memberships.directs())
                    .flatMap(directs -> welcome(user, kept, counts, directs, connected.pairSession()))
                    .map(welcome -> {
                        Map<String, Long> seqs = roomSeqsOf(welcome); // the rooms to subscribe, in welcome order
                        return NodeMessage.welcome(user.id(), List.copyOf(seqs.keySet()), cmd.conn(), cmd.ref(),
                                List.of(deliveries.encode(welcome)), seqs, connected.leaves());
                    });
        });
    }

    public Mono<Void> disconnect(Command cmd) {
        UserRef user = cmd.user();
        long now = clock.millis();
        // MongoDB unreachable: the connection is removed all the same (the online sets holding the user are known in
        // Redis), or a failed DISCONNECT would be dropped after its retries and leave the user online for good.
        return rooms.conversationsOf(user.id())
                .onErrorResume(e -> {
                    log.warn("disconnect without the user's rooms from MongoDB, the online sets come from Redis: userId={} error={}",
                            user.id(), e.toString());
                    return Mono.just(List.of());
                })
                // going offline starts a pair session's grace period and announces it in the same step
                // (disconnect.lua): a failure after it cannot lose the announcements, as a rerun announces nothing
                .flatMap(convs -> presence.disconnect(user.id(), cmd.node(), cmd.conn(), convs, now,
                        PresenceFrames.offline(user, deliveries::encode)))
                .then();
    }

    /** Rooms (with online counts) first, then direct and pair conversations (with the peer), newest first. */
    private Mono<ServerFrame.Welcome> welcome(UserRef user, List<String> convs, List<Long> counts, List<String> directs,
                                              String activePair) {
        List<String> all = new ArrayList<>(convs);
        all.addAll(directs);
        return Mono.zip(rooms.names(convs), lastSeqs.of(all), directService.peersOf(user.id(), directs)).map(t -> {
            Map<String, String> names = t.getT1();
            Map<String, Long> seqs = t.getT2();
            Map<String, UserRef> peerOf = t.getT3();
            List<ServerFrame.ConversationInfo> infos = new ArrayList<>();
            for (int i = 0; i < convs.size(); i++) {
                String conv = convs.get(i);
                if (names.containsKey(conv)) {
                    infos.add(new ServerFrame.ConversationInfo(conv, names.get(conv), seqs.getOrDefault(conv, 0L),
                            counts.get(i)));
                }
            }
            for (String conv : directs) {
                UserRef peer = peerOf.get(conv);
                if (peer != null) {
                    infos.add(new ServerFrame.ConversationInfo(conv, peer.displayName(),
                            seqs.getOrDefault(conv, 0L), 0, peer, Conversations.isPair(conv) ? conv.equals(activePair) : null));
                }
            }
            return new ServerFrame.Welcome(user, infos, props.heartbeatSeconds());
        });
    }

    /**
     * The welcome's rooms, in its order, with the last seq it states for each, which their gateway raises if a later one
     * was published (ADR-27).
     */
    private static Map<String, Long> roomSeqsOf(ServerFrame.Welcome welcome) {
        Map<String, Long> seqs = new LinkedHashMap<>();
        for (ServerFrame.ConversationInfo info : welcome.conversations()) {
            if (Conversations.isRoom(info.conv())) {
                seqs.put(info.conv(), info.lastSeq());
            }
        }
        return seqs;
    }
}
