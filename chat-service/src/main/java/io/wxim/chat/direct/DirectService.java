package io.wxim.chat.direct;

import io.wxim.chat.profile.ProfileService;
import io.wxim.chat.room.RoomRepository;
import io.wxim.protocol.Conversations;
import io.wxim.protocol.ErrorCode;
import io.wxim.protocol.ProtocolException;
import io.wxim.protocol.UserRef;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.stereotype.Service;
import reactor.core.publisher.Mono;

/**
 * Direct conversations: any user may message any known user. The conversation id is derived here from the two user
 * ids ({@code d:} + 40 hex digits of SHA-256 of the sorted pair), never taken from a client, so both sides always
 * land in the same conversation and nobody can address a conversation of others.
 */
@Service
public class DirectService {
    private static final int KNOWN_COMPLETE = 100_000;
    private final PeersRepository peers;
    private final RoomRepository memberships;
    private final ProfileService profiles;
    private final Clock clock;
    /**
     * Direct conversations known to be complete (both memberships recorded; direct memberships are never removed),
     * so a send to a known peer needs no database read. Bounded, least recently used first out.
     */
    private final Set<String> complete = Collections.newSetFromMap(Collections.synchronizedMap(
            new LinkedHashMap<>(1024, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                    return size() > KNOWN_COMPLETE;
                }
            }));

    public DirectService(PeersRepository peers, RoomRepository memberships, ProfileService profiles, Clock clock) {
        this.peers = peers;
        this.memberships = memberships;
        this.profiles = profiles;
        this.clock = clock;
    }

    /**
     * The direct conversation of {@code from} and {@code to}, created (idempotently) on first use. BAD_REQUEST when
     * messaging oneself, NOT_FOUND when {@code to} is unknown.
     */
    public Mono<String> open(String from, String to) {
        if (from.equals(to)) {
            return Mono.error(new ProtocolException(ErrorCode.BAD_REQUEST, "cannot message yourself"));
        }
        String conv = conversationOf(from, to);
        if (complete.contains(conv)) {
            return Mono.just(conv);
        }
        return memberships.isMember(conv, from).flatMap(member -> member ? Mono.just(conv)
                        : profiles.require(to)
                                // the recipient first: the sender's membership is what marks the conversation complete
                                .then(recordMembers(conv, to, from, clock.millis()))
                                .thenReturn(conv))
                .doOnNext(complete::add);
    }

    /**
     * Records the two users of a direct or pair conversation durably (idempotent): who they are ({@link Peers}), then
     * their memberships, {@code first} before {@code second}; so a conversation whose {@code second} is a member is
     * complete.
     */
    public Mono<Void> recordMembers(String conv, String first, String second, long now) {
        return peers.ensure(new Peers(conv, sorted(first, second), now))
                .then(memberships.addMember(conv, first, now))
                .then(memberships.addMember(conv, second, now))
                .then();
    }

    /** The other user (with profile) of each of {@code userId}'s direct and pair conversations in {@code convs}. */
    public Mono<Map<String, UserRef>> peersOf(String userId, Collection<String> convs) {
        return peers.findAll(convs)
                .collectMap(Peers::conv, p -> p.peerOf(userId) == null ? userId : p.peerOf(userId))
                .flatMap(ids -> profiles.findAll(Set.copyOf(ids.values())).map(found -> {
                    Map<String, UserRef> byConv = new HashMap<>();
                    ids.forEach((conv, id) -> byConv.put(conv, ProfileService.known(found, id)));
                    return byConv;
                }));
    }

    /** Derives the direct conversation id of two users (order does not matter). */
    public static String conversationOf(String a, String b) {
        List<String> pair = sorted(a, b);
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest((pair.get(0) + "\n" + pair.get(1)).getBytes(StandardCharsets.UTF_8));
            return Conversations.DIRECT_PREFIX + HexFormat.of().formatHex(digest, 0, 20);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is always available", e);
        }
    }

    private static List<String> sorted(String a, String b) {
        return a.compareTo(b) <= 0 ? List.of(a, b) : List.of(b, a);
    }
}
