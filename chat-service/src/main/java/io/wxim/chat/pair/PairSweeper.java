package io.wxim.chat.pair;

import io.wxim.chat.config.ChatProperties;
import io.wxim.chat.routing.Deliveries;
import io.wxim.chat.routing.Deliveries.UserFrames;
import io.wxim.protocol.ServerFrame;
import io.wxim.support.PeriodicTask;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Expires pair requests and ends sessions whose peer stayed offline past the grace period. Runs in every
 * chat-service instance; each due entry is claimed by one atomic script, so exactly one instance acts on it, and the
 * same script tells the users (a failure after the claim cannot lose the news).
 */
@Component
class PairSweeper extends PeriodicTask {
    private static final Logger log = LoggerFactory.getLogger(PairSweeper.class);
    private static final int BATCH = 100;

    private final PairRepository pairs;
    private final Deliveries deliveries;
    private final Clock clock;

    PairSweeper(PairRepository pairs, Deliveries deliveries, ChatProperties props, Clock clock) {
        super("pair sweep", props.pair().sweepInterval());
        this.pairs = pairs;
        this.deliveries = deliveries;
        this.clock = clock;
    }

    @Override
    protected Mono<Void> runOnce() {
        return sweepOnce();
    }

    /**
     * One pass: expired requests, then lost peers. Completes when done. Each claim tells the users in its own step
     * (the script publishes), so a failure after a claim loses nothing: it used to claim, then deliver in a second call.
     */
    Mono<Void> sweepOnce() {
        long now = clock.millis();
        Mono<Void> requests = pairs.dueRequests(now, BATCH).concatMap(entry -> {
            String[] fromTo = entry.split("\\|");
            ServerFrame.PairRequestClosed event = new ServerFrame.PairRequestClosed(null, fromTo[0], fromTo[1], "expired");
            return pairs.expire(fromTo[0], fromTo[1], now, deliveries.inScript(List.of(
                    new UserFrames(fromTo[0], event), new UserFrames(fromTo[1], event))));
        }).then();
        // the end script claims a due entry itself; an entry whose user is in no session any more is just dropped
        Mono<Void> lost = pairs.dueLost(now, BATCH).concatMap(user -> pairs.sessionOf(user)
                .flatMap(conv -> pairs.session(conv).map(users -> Optional.of(Map.entry(conv, users))))
                .defaultIfEmpty(Optional.empty())
                .flatMap(session -> session.isEmpty() ? pairs.clearLost(user) : endLost(user, session.get().getKey(),
                        session.get().getValue(), now))).then();
        return requests.then(lost);
    }

    /** Ends {@code user}'s session {@code conv} if their grace period passed; the peer is told in the same step. */
    private Mono<Void> endLost(String user, String conv, Map<String, String> users, long now) {
        String peer = PairRepository.peerOf(users, user);
        if (peer.isEmpty()) {
            return pairs.endIfLost(user, conv, now).then();
        }
        Deliveries.InScript toPeer = deliveries.inScript(List.of(
                new UserFrames(peer, new ServerFrame.PairEnded(null, conv, user, "peer_offline"))));
        return pairs.endIfLost(user, conv, now, peer, toPeer)
                .doOnNext(ended -> log.info("pair session ended, peer lost: conversationId={} userId={}", conv, user))
                .then();
    }
}
