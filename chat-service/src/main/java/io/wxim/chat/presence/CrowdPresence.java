package io.wxim.chat.presence;

import io.wxim.chat.config.ChatProperties;
import io.wxim.chat.routing.Deliveries;
import io.wxim.support.PeriodicTask;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * The crowded half of presence: users coming online and going offline are announced to their rooms with the user
 * while a room has at most {@code im.chat.crowd.threshold} members online, by the script that makes the change
 * ({@code lib/announce.lua}); above it the script adds the room to {@link io.wxim.protocol.RedisNames#CROWDED} in the
 * same step, and every {@code interval} each chat instance pops those rooms and sends each one {@code online} frame
 * with its count, read in the same step ({@code crowd_flush.lua}). So a burst of a thousand connects costs one frame
 * per room and interval, and a mark is lost neither with the answer of the step that made it nor with the instance
 * (any instance flushes it).
 */
@Component
public class CrowdPresence extends PeriodicTask {
    /** Rooms popped per script call: one call holds Redis for about a PUBLISH per room. */
    static final int BATCH = 500;
    /** Calls per flush at most (a backlog beyond that waits for the next interval). */
    private static final int MAX_BATCHES = 20;
    private final PresenceRepository presence;
    private final PresenceFrames counts;

    public CrowdPresence(Deliveries deliveries, PresenceRepository presence, ChatProperties props) {
        super("crowd presence flush", props.crowd().interval());
        this.presence = presence;
        this.counts = PresenceFrames.count(deliveries::encode);
    }

    @Override
    protected Mono<Void> runOnce() {
        return flush();
    }

    /** Sends each crowded room whose count changed one {@code online} frame with its count now, and unmarks it. */
    Mono<Void> flush() {
        return presence.flushCrowded(BATCH, counts)
                .expand(popped -> popped < BATCH ? Mono.empty() : presence.flushCrowded(BATCH, counts))
                .take(MAX_BATCHES)
                .then();
    }
}
