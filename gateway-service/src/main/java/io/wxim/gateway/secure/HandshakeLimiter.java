package io.wxim.gateway.secure;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * Bounds secure handshakes (each costs an RSA decryption) per user and per client address, in fixed one-minute
 * windows on this gateway: the CPU being protected is this gateway's. At most {@code maxKeys} users and addresses
 * are tracked per window; beyond that, handshakes of new ones are refused until the window ends, so the table cannot
 * grow without bound under a flood of addresses.
 */
final class HandshakeLimiter {
    static final long WINDOW_NANOS = 60_000_000_000L;

    private final int perUser;
    private final int perIp;
    private final int maxKeys;
    private final LongSupplier nanoTime;
    private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    private volatile long windowStart;

    HandshakeLimiter(int perUser, int perIp, int maxKeys, LongSupplier nanoTime) {
        this.perUser = perUser;
        this.perIp = perIp;
        this.maxKeys = maxKeys;
        this.nanoTime = nanoTime;
        this.windowStart = nanoTime.getAsLong();
    }

    /** Counts one handshake of this user from this address; false if either is over its limit in this window. */
    boolean tryAcquire(String userId, String ip) {
        long now = nanoTime.getAsLong();
        if (now - windowStart >= WINDOW_NANOS) {
            synchronized (this) {
                if (now - windowStart >= WINDOW_NANOS) {
                    counts.clear();
                    windowStart = now;
                }
            }
        }
        // a user over its limit is refused before its address is counted (or tracked: the table is bounded)
        return take("u:" + userId, perUser) && take("a:" + ip, perIp);
    }

    private boolean take(String key, int limit) {
        AtomicInteger count = counts.get(key);
        if (count == null) {
            if (counts.size() >= maxKeys) {
                return false;
            }
            count = counts.computeIfAbsent(key, k -> new AtomicInteger());
        }
        return count.incrementAndGet() <= limit;
    }
}
