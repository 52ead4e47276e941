package io.wxim.gateway.userlimit;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a Redis-backed user limit does when Redis does not answer: let the request through, count it
 * ({@code im.gateway.user_limits.fail_open{limit}}), and log once when the outage starts and once when it ends, not
 * once per request.
 */
final class FailOpen {
    private static final Logger log = LoggerFactory.getLogger(FailOpen.class);

    private final String limit;
    private final Counter passed;
    private final AtomicBoolean failing = new AtomicBoolean();

    FailOpen(String limit, MeterRegistry meters) {
        this.limit = limit;
        this.passed = meters.counter("im.gateway.user_limits.fail_open", "limit", limit);
    }

    void failed(Throwable e) {
        passed.increment();
        if (failing.compareAndSet(false, true)) {
            log.warn("user limit not enforced, the Redis call failed (failing open until one succeeds): limit={} error={}", limit, e.toString());
        }
    }

    void answered() {
        if (failing.get() && failing.compareAndSet(true, false)) {
            log.info("user limit enforced again: limit={}", limit);
        }
    }

    boolean isFailing() {
        return failing.get();
    }
}
