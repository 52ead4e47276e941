package io.wxim.gateway.config;

import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;

/**
 * The most WebSocket connections one gateway holds ({@code im.gateway.ws.max-connections}). Each connection is a file
 * descriptor, and so are the gateway's Redis and HTTP client connections, its {@code /api} clients and its files: a
 * gateway that runs out of descriptors fails at accept ("Too many open files") and cannot reconnect to Redis either;
 * one that runs out of heap stops. Unset, the cap is the lower of the process's open-file limit less a reserve (a
 * tenth, at least {@link #MIN_RESERVE} descriptors) and the heap divided by {@link #HEAP_PER_CONNECTION}, so a full
 * gateway refuses new sessions with a clear 503 instead. A deployment with a memory limit sets its own (ADR-24).
 */
public final class ConnectionCapacity {
    /** Descriptors kept for everything that is not a WebSocket connection, at the least. */
    static final long MIN_RESERVE = 256;
    /**
     * Heap budgeted per connection for the derived cap: about twice an idle one's (7 KB measured at 18,000, benchmarks
     * section 17), for busy connections' queues and the rest of the gateway.
     */
    static final long HEAP_PER_CONNECTION = 16 * 1024;

    private ConnectionCapacity() {
    }

    /**
     * @param configured    {@code max-connections}; 0 derives it
     * @param openFileLimit the process's open-file limit, or a value <= 0 if not known (then no bound from it)
     * @param maxHeap       the most heap the JVM will use, in bytes, or a value <= 0 if not known
     */
    public static int resolve(int configured, long openFileLimit, long maxHeap) {
        if (configured > 0) {
            return configured;
        }
        return lowerOf(openFileLimit > 0 ? openFileLimit - Math.max(MIN_RESERVE, openFileLimit / 10) : Long.MAX_VALUE,
                maxHeap > 0 ? maxHeap / HEAP_PER_CONNECTION : Long.MAX_VALUE);
    }

    /**
     * Each gateway's cap when {@code gateways} gateways share one JVM with other services (the local launcher): half of
     * the descriptors and half of the heap go to the gateways, split evenly; -1 when neither limit is known.
     */
    public static int inSharedJvm(long openFileLimit, long maxHeap, int gateways) {
        if (openFileLimit <= 0 && maxHeap <= 0) {
            return -1;
        }
        long n = Math.max(1, gateways);
        return lowerOf(openFileLimit > 0 ? openFileLimit / 2 / n : Long.MAX_VALUE,
                maxHeap > 0 ? maxHeap / 2 / HEAP_PER_CONNECTION / n : Long.MAX_VALUE);
    }

    /** The lower of the two bounds (Long.MAX_VALUE: none), as a cap of at least one connection. */
    private static int lowerOf(long byDescriptors, long byHeap) {
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, Math.min(byDescriptors, byHeap)));
    }

    /** True if a configured cap is above the derived one: it may run the gateway out of descriptors or heap. */
    public static boolean exceedsDerived(int capacity, long openFileLimit, long maxHeap) {
        return capacity > resolve(0, openFileLimit, maxHeap);
    }

    /** This process's open-file limit (RLIMIT_NOFILE as the JVM set it), or -1 where the platform does not say. */
    public static long openFileLimit() {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.UnixOperatingSystemMXBean unix ? unix.getMaxFileDescriptorCount() : -1;
    }

    /** The most heap this JVM will use ({@code -Xmx} or its ergonomic default), or -1 if unbounded. */
    public static long maxHeap() {
        long max = Runtime.getRuntime().maxMemory();
        return max == Long.MAX_VALUE ? -1 : max;
    }
}
