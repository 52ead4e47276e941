package io.wxim.chat.pair;

import io.wxim.chat.direct.DirectService;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * A pair session starts in Redis ({@code pair_accept.lua}) and is then recorded in MongoDB (both users' memberships,
 * which the welcome and the conversation list read). An accept that failed between the two left an active session
 * neither user could see after a reload (the accepter got {@code unavailable}; the requester was never told). A
 * connect and the conversation list record such a session when they find it, so both users see it as active; the
 * users' open connections are told by {@link UnrecordedPairSweeper}.
 */
@Component
public class PairRecords {
    private static final Logger log = LoggerFactory.getLogger(PairRecords.class);

    private final PairRepository pairs;
    private final DirectService directs;
    private final Clock clock;

    public PairRecords(PairRepository pairs, DirectService directs, Clock clock) {
        this.pairs = pairs;
        this.directs = directs;
        this.clock = clock;
    }

    /**
     * The user's direct and pair conversations {@code recorded} (from MongoDB), with the user's active pair session
     * {@code active} (from Redis; null or empty for none) first if it was not among them, recorded now. If recording
     * fails, {@code recorded} as it is (the next connect or list tries again).
     */
    public Mono<List<String>> withActive(String userId, String active, List<String> recorded) {
        if (active == null || active.isEmpty() || recorded.contains(active)) {
            return Mono.just(recorded);
        }
        return pairs.session(active)
                .flatMap(members -> record(active, members))
                .map(done -> {
                    List<String> all = new ArrayList<>(recorded.size() + 1);
                    all.add(active);
                    all.addAll(recorded);
                    return all;
                })
                .defaultIfEmpty(recorded) // ended meanwhile
                .onErrorResume(e -> {
                    log.warn("active pair session not recorded: userId={} conversationId={} error={}", userId, active,
                            e.toString());
                    return Mono.just(recorded);
                });
    }

    private Mono<Boolean> record(String conv, Map<String, String> members) {
        String requester = members.get("a");
        String accepter = members.get("b");
        if (requester == null || accepter == null) {
            return Mono.empty();
        }
        log.info("recording a pair session its accept left unrecorded: conversationId={}", conv);
        return directs.recordMembers(conv, requester, accepter, clock.millis()).thenReturn(true);
    }
}
