package io.wxim.chat.pair;

import io.wxim.chat.config.ChatProperties;
import io.wxim.chat.config.PeriodicTask;
import io.wxim.chat.routing.Deliveries;
import io.wxim.protocol.ServerFrame;
import java.time.Clock;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Expires pair requests and ends sessions whose peer stayed offline past the grace period. Runs in every
 * chat-service instance; each due entry is claimed by one atomic script, so exactly one instance acts on it.
 */
@Component
class PairSweeper extends PeriodicTask {
    private static final Logger log = LoggerFactory.getLogger(PairSweeper.class);
    private static final int BATCH = 100;

    private final PairRepository pairs;
    private final PairCommands commands;
    private final Deliveries deliveries;
    private final Clock clock;

    PairSweeper(PairRepository pairs, PairCommands commands, Deliveries deliveries, ChatProperties props, Clock clock) {
        super("pair sweep", props.pair().sweepInterval());
        this.pairs = pairs;
        this.commands = commands;
        this.deliveries = deliveries;
        this.clock = clock;
    }

    @Override
    protected Mono<Void> runOnce() {
        return sweepOnce();
    }

    /** One pass: expired requests, then lost peers. Completes when done. */
    Mono<Void> sweepOnce() {
        long now = clock.millis();
        Mono<Void> requests = pairs.dueRequests(now, BATCH).concatMap(entry -> {
            String[] fromTo = entry.split("\\|");
            return pairs.expire(fromTo[0], fromTo[1], now).filter(Boolean::booleanValue).flatMap(claimed -> {
                ServerFrame.PairRequestClosed event = new ServerFrame.PairRequestClosed(null, fromTo[0], fromTo[1], "expired");
                return deliveries.toUsers(List.of(fromTo[0], fromTo[1]), null, List.of(event));
            });
        }).then();
        // the end script claims a due entry itself; an entry whose user is in no session any more is just dropped
        Mono<Void> lost = pairs.dueLost(now, BATCH).concatMap(user -> pairs.sessionOf(user)
                .map(java.util.Optional::of).defaultIfEmpty(java.util.Optional.empty())
                .flatMap(session -> session.isEmpty() ? pairs.clearLost(user)
                        : pairs.endIfLost(user, session.get(), now).flatMap(peer -> {
                            log.info("pair session ended, peer lost: conversationId={} userId={}", session.get(), user);
                            return commands.ended(session.get(), user, peer, "peer_offline");
                        }))).then();
        return requests.then(lost);
    }
}
