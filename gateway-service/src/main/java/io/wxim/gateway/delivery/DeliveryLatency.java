package io.wxim.gateway.delivery;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * {@code im.gateway.delivery.latency}: from the moment a message was stored (its {@code ts}) until this gateway hands
 * it to its local connections, once per message and gateway (not per connection). The frame is already encoded, so
 * {@code ts} is read with a scan instead of a parse; only {@code message} frames count.
 */
public final class DeliveryLatency {
    private static final String MESSAGE_PREFIX = "{\"type\":\"message\"";
    private static final String TS = "\"ts\":";

    private final Timer timer;
    private final LongSupplier clock;

    public DeliveryLatency(MeterRegistry meters, LongSupplier clock) {
        this.timer = Timer.builder("im.gateway.delivery.latency")
                .description("stored (message ts) to handed to the local connections, per message and gateway")
                .publishPercentileHistogram()
                .register(meters);
        this.clock = clock;
    }

    /** Records the frame's latency if it is a message frame with a ts; anything else is ignored. */
    public void record(String frame) {
        long ts = storedAt(frame);
        if (ts > 0) {
            timer.record(Math.max(0, clock.getAsLong() - ts), TimeUnit.MILLISECONDS);
        }
    }

    /** The {@code ts} of a message frame, or -1. */
    static long storedAt(String frame) {
        if (frame == null || !frame.startsWith(MESSAGE_PREFIX)) {
            return -1;
        }
        int at = frame.lastIndexOf(TS);
        if (at < 0) {
            return -1;
        }
        long value = 0;
        int digits = 0;
        for (int i = at + TS.length(); i < frame.length() && digits < 19; i++, digits++) {
            char c = frame.charAt(i);
            if (c < '0' || c > '9') {
                break;
            }
            value = value * 10 + (c - '0');
        }
        return digits == 0 ? -1 : value;
    }
}
