package io.wxim.gateway.config;

import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;

/**
 * The most WebSocket connections one gateway holds ({@code im.gateway.ws.max-connections}). Each connection is a file
 * descriptor, and so are the gateway's Redis and HTTP client connections, its {@code /api} clients and its files: a
 * gateway that runs out of descriptors fails at accept ("Too many open files") and can no longer reconnect to Redis.
 * Unset, the cap is the process's open-file limit less a reserve (a tenth, at least {@link #MIN_RESERVE}), so a full
 * gateway refuses new sessions with a clear 503 instead.
 */
public final class ConnectionCapacity {
    /** Descriptors kept for everything that is not a WebSocket connection, at the least. */
    static final long MIN_RESERVE = 256;

    private ConnectionCapacity() {
    }

    /**
     * @param configured    {@code max-connections}; 0 derives it from the limit
     * @param openFileLimit the process's open-file limit, or a value <= 0 if not known (then no derived cap)
     */
    public static int resolve(int configured, long openFileLimit) {
        if (configured > 0) {
            return configured;
        }
        if (openFileLimit <= 0) {
            return Integer.MAX_VALUE;
        }
        long capacity = openFileLimit - Math.max(MIN_RESERVE, openFileLimit / 10);
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, capacity));
    }

    /** True if a configured cap leaves less than the reserve {@link #resolve} would keep (worth a warning). */
    public static boolean exceedsDescriptors(int capacity, long openFileLimit) {
        return openFileLimit > 0 && capacity > resolve(0, openFileLimit);
    }

    /** This process's open-file limit (RLIMIT_NOFILE as the JVM set it), or -1 where the platform does not say. */
    public static long openFileLimit() {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.UnixOperatingSystemMXBean unix ? unix.getMaxFileDescriptorCount() : -1;
    }
}
