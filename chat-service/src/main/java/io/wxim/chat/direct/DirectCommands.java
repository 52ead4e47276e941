package io.wxim.chat.direct;

import io.wxim.chat.config.ChatProperties;
import io.wxim.chat.pair.PairRepository;
import io.wxim.chat.presence.PresenceRepository;
import io.wxim.chat.profile.ProfileService;
import io.wxim.chat.room.RoomRepository;
import io.wxim.chat.room.RoomService;
import io.wxim.chat.routing.Deliveries;
import io.wxim.protocol.ClientFrame;
import io.wxim.protocol.Command;
import io.wxim.protocol.Conversations;
import io.wxim.protocol.ErrorCode;
import io.wxim.protocol.NodeMessage;
import io.wxim.protocol.ProtocolException;
import io.wxim.protocol.RedisNames;
import io.wxim.protocol.ServerFrame;
import java.time.Duration;
import java.util.List;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.stereotype.Service;
import reactor.core.publisher.Mono;

/**
 * Typing indicators (direct and pair conversations; not stored; one per user and conversation per
 * {@code typingInterval}, more get {@code rate_limited}) and the online status of users one shares a conversation with.
 */
@Service
public class DirectCommands {
    private final PeersRepository peers;
    private final PairRepository pairs;
    private final RoomRepository memberships;
    private final RoomService rooms;
    private final PresenceRepository presence;
    private final ProfileService profiles;
    private final Deliveries deliveries;
    private final ReactiveStringRedisTemplate redis;
    private final Duration typingInterval;
    private final Duration redisTimeout;

    public DirectCommands(PeersRepository peers, PairRepository pairs, RoomRepository memberships, RoomService rooms,
                          PresenceRepository presence, ProfileService profiles, Deliveries deliveries,
                          ReactiveStringRedisTemplate redis, ChatProperties props) {
        this.peers = peers;
        this.pairs = pairs;
        this.memberships = memberships;
        this.rooms = rooms;
        this.presence = presence;
        this.profiles = profiles;
        this.deliveries = deliveries;
        this.redis = redis;
        this.typingInterval = props.typingInterval();
        this.redisTimeout = props.redisTimeout();
    }

    public Mono<NodeMessage> typing(Command cmd, ClientFrame.Typing frame) {
        String me = cmd.user().id();
        String conv = frame.conv();
        if (Conversations.isRoom(conv)) {
            return Mono.error(new ProtocolException(ErrorCode.BAD_REQUEST, "typing is for direct and pair conversations"));
        }
        Mono<Void> allowed = Conversations.isPair(conv)
                ? pairs.sessionOf(me).filter(conv::equals).switchIfEmpty(Mono.error(notFound())).then()
                : rooms.requireMember(conv, me);
        return allowed
                .then(redis.opsForValue().setIfAbsent(RedisNames.typing(conv, me), "1", typingInterval).timeout(redisTimeout))
                .flatMap(first -> {
                    if (!first) {
                        return Mono.error(new ProtocolException(ErrorCode.RATE_LIMITED,
                                "at most one typing event every " + typingInterval.toMillis() + " ms"));
                    }
                    return peers.find(conv).map(p -> p.peerOf(me))
                            .flatMap(peer -> deliveries.toUser(peer, new ServerFrame.Typing(conv, cmd.user())))
                            .thenReturn(deliveries.reply(cmd, List.of()));
                });
    }

    /** Status of oneself or of a user who shares a room, direct or pair conversation; NOT_FOUND for anyone else. */
    public Mono<NodeMessage> status(Command cmd, ClientFrame.Status frame) {
        String me = cmd.user().id();
        Mono<Boolean> visible = me.equals(frame.user()) ? Mono.just(true) : memberships.shareConversation(me, frame.user());
        return visible.flatMap(ok -> ok ? profiles.require(frame.user()) : Mono.error(notFound("no such user")))
                .zipWith(presence.status(frame.user()))
                .map(t -> {
                    PresenceRepository.Status s = t.getT2();
                    ServerFrame.Status status = new ServerFrame.Status(frame.rid(), t.getT1(), s.online() ? "online" : "offline",
                            s.online() ? null : s.lastSeen());
                    return deliveries.reply(cmd, status);
                });
    }

    private static ProtocolException notFound() {
        return notFound("no such conversation");
    }

    private static ProtocolException notFound(String message) {
        return new ProtocolException(ErrorCode.NOT_FOUND, message);
    }
}
