package io.wxim.chat.command;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import reactor.core.publisher.Mono;

/**
 * Redis's clock as this instance sees it. A stream entry's id carries the millisecond Redis added it, so a command's
 * age is taken on Redis's clock, not this host's: hosts' clocks may disagree by more than a command's deadline allows.
 * The offset is measured with {@code TIME}, corrected by half the round trip, before the consumer starts and then
 * periodically ({@link CommandConsumer}); it stays zero until a measurement succeeds. An offset above a second is
 * logged (the hosts' clocks should be synchronized anyway).
 */
final class RedisClock {
    private static final Logger log = LoggerFactory.getLogger(RedisClock.class);
    private static final long NOTABLE_OFFSET_MILLIS = 1_000;

    private final ReactiveStringRedisTemplate redis;
    private final Duration timeout;
    private final LongSupplier localMillis;
    private volatile long offsetMillis;

    RedisClock(ReactiveStringRedisTemplate redis, Duration timeout, LongSupplier localMillis) {
        this.redis = redis;
        this.timeout = timeout;
        this.localMillis = localMillis;
    }

    /** Now, in Redis's milliseconds. */
    long now() {
        return localMillis.getAsLong() + offsetMillis;
    }

    /** Redis's clock minus this host's, in milliseconds, as last measured. */
    long offsetMillis() {
        return offsetMillis;
    }

    /** Measures the offset once; fails if Redis does not answer within the timeout (the old offset stays). */
    Mono<Void> measure() {
        return Mono.defer(() -> {
            long sent = localMillis.getAsLong();
            return redis.execute(connection -> connection.serverCommands().time(TimeUnit.MILLISECONDS))
                    .next()
                    .timeout(timeout)
                    .doOnNext(redisMillis -> {
                        long offset = redisMillis - (sent + localMillis.getAsLong()) / 2;
                        boolean notable = Math.abs(offset) > NOTABLE_OFFSET_MILLIS;
                        if (notable && Math.abs(offset - offsetMillis) > NOTABLE_OFFSET_MILLIS) {
                            log.warn("this host's clock and Redis's differ; command ages are taken on Redis's: offsetMillis={}", offset);
                        }
                        offsetMillis = offset;
                    })
                    .then();
        });
    }
}
