package io.wxim.chat.pair;

import io.wxim.chat.config.ChatProperties;
import io.wxim.chat.direct.DirectService;
import io.wxim.chat.profile.ProfileService;
import io.wxim.chat.routing.Deliveries;
import io.wxim.protocol.RedisNames;
import io.wxim.support.PeriodicTask;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Records and announces the pair sessions whose accept did not. An accept starts the session in Redis
 * ({@code pair_accept.lua}, which also enters it in {@link RedisNames#PAIR_UNRECORDED}, due past the accept's
 * deadline), then records both memberships in MongoDB, tells both users {@code pairStarted} and removes the entry. An
 * accept that failed in between (MongoDB down) and was not retried left the session active in Redis only: the
 * accepter was answered {@code unavailable} and the requester, waiting, was never told (a connect or the conversation
 * list recorded it, {@link PairRecords}, but told no open connection). Every chat instance sweeps each
 * {@code pair.sweep-interval}: a due entry is claimed by one sweep (its time moved on by {@link #RETRY}, so a sweep
 * that fails leaves it due again then), the session is read (ended meanwhile: the entry goes), recorded (idempotent),
 * and both users are told in the step that takes the entry off the list, if the session is still active for both.
 * Times are this instance's clock and the accepting instance's: clocks apart by more than the 2 s between the accept's
 * deadline and its entry's time may get a session told twice.
 */
@Component
class UnrecordedPairSweeper extends PeriodicTask {
    private static final Logger log = LoggerFactory.getLogger(UnrecordedPairSweeper.class);
    private static final int BATCH = 100;
    /** A claimed entry is due again this long after its claim, should the sweep that claimed it fail. */
    static final Duration RETRY = Duration.ofSeconds(10);
    /** One entry's work at most (its MongoDB write and Redis calls), below {@link #RETRY}. */
    private static final Duration WORK_LIMIT = Duration.ofSeconds(8);

    private final PairRepository pairs;
    private final DirectService directs;
    private final ProfileService profiles;
    private final Deliveries deliveries;
    private final Clock clock;

    UnrecordedPairSweeper(PairRepository pairs, DirectService directs, ProfileService profiles, Deliveries deliveries,
                          ChatProperties props, Clock clock) {
        super("unrecorded pair sweep", props.pair().sweepInterval());
        this.pairs = pairs;
        this.directs = directs;
        this.profiles = profiles;
        this.deliveries = deliveries;
        this.clock = clock;
    }

    @Override
    protected Mono<Void> runOnce() {
        return sweepOnce();
    }

    /**
     * One pass over the due entries; a failed entry is logged and due again after {@link #RETRY}. Each entry's claim
     * takes the time when its turn comes, and its work is bounded below {@link #RETRY}, so no other sweep claims it
     * while this one still works on it.
     */
    Mono<Void> sweepOnce() {
        return pairs.dueUnrecorded(clock.millis(), BATCH)
                .concatMap(conv -> Mono.defer(() -> {
                            long now = clock.millis();
                            return pairs.claimUnrecorded(conv, now, now + RETRY.toMillis())
                                    .filter(claimed -> claimed)
                                    .flatMap(claimed -> pairs.session(conv).map(Optional::of).defaultIfEmpty(Optional.empty()))
                                    .flatMap(session -> session.isEmpty() ? pairs.forgetUnrecorded(conv) // ended meanwhile
                                            : recordAndAnnounce(conv, session.get(), now));
                        })
                        .timeout(WORK_LIMIT)
                        .onErrorResume(e -> {
                            log.warn("pair session not recorded by the sweep, tried again later: conversationId={} error={}",
                                    conv, e.toString());
                            return Mono.empty();
                        }))
                .then();
    }

    /**
     * Records the session (idempotent), then tells both users in the step that takes it off the list, only if it is
     * still active for both: one that ended while it was being recorded (its peer told pairEnded) is not announced.
     */
    private Mono<Void> recordAndAnnounce(String conv, Map<String, String> session, long now) {
        String requester = session.get("a");
        String accepter = session.get("b");
        if (requester == null || accepter == null) {
            return pairs.forgetUnrecorded(conv);
        }
        return directs.recordMembers(conv, requester, accepter, startedAt(session, now))
                .then(profiles.findAll(List.of(requester, accepter)))
                .flatMap(found -> pairs.announceRecorded(conv, requester, accepter, deliveries.inScript(
                        StartNews.of(conv, ProfileService.known(found, requester), ProfileService.known(found, accepter), null))))
                .doOnNext(told -> log.info("pair session its accept left unrecorded recorded by the sweep: conversationId={} announced={}",
                        conv, told))
                .then();
    }

    private static long startedAt(Map<String, String> session, long now) {
        try {
            return Long.parseLong(session.getOrDefault("startedAt", ""));
        } catch (NumberFormatException e) {
            return now;
        }
    }
}
