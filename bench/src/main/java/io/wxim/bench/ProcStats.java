package io.wxim.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time, RSS and CPU affinity of a process from Linux {@code /proc}. CPU time is {@code utime + stime} of
 * {@code /proc/<pid>/stat} in clock ticks (USER_HZ, 100 on Linux x86_64); RSS is {@code VmRSS} of
 * {@code /proc/<pid>/status}. Values are -1 when the process or the file is gone.
 */
public final class ProcStats {

    static final double TICKS_PER_SECOND = 100.0;

    private ProcStats() {
    }

    public static long selfPid() {
        return ProcessHandle.current().pid();
    }

    /** CPU seconds used so far by {@code pid} (all threads), or -1. */
    public static double cpuSeconds(long pid) {
        try {
            return cpuSecondsFromStat(Files.readString(Path.of("/proc", String.valueOf(pid), "stat")));
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Parses utime + stime (fields 14 and 15) of a stat line; the command name may hold spaces and parentheses. */
    static double cpuSecondsFromStat(String stat) {
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
        // f[0] is field 3 (state): utime is field 14 -> f[11], stime field 15 -> f[12]
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / TICKS_PER_SECOND;
    }

    /** Resident set size in bytes, or -1. */
    public static long rssBytes(long pid) {
        String kb = statusField(pid, "VmRSS:");
        if (kb == null) {
            return -1;
        }
        return Long.parseLong(kb.replace("kB", "").strip()) * 1024;
    }

    /** The CPUs the process may run on (as {@code taskset -cp} sets them), e.g. {@code 0-1}, or null. */
    public static String cpusAllowed(long pid) {
        return statusField(pid, "Cpus_allowed_list:");
    }

    private static String statusField(long pid, String name) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
                if (line.startsWith(name)) {
                    return line.substring(name.length()).strip();
                }
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return null;
    }

    /** CPU use of several processes over an interval: take one at the start, ask {@link #percent} at the end. */
    public static final class CpuWindow {
        private final long[] pids;
        private final double[] startCpu;
        private final long startNanos;

        public CpuWindow(long[] pids) {
            this.pids = pids.clone();
            this.startCpu = new double[pids.length];
            for (int i = 0; i < pids.length; i++) {
                startCpu[i] = cpuSeconds(pids[i]);
            }
            this.startNanos = System.nanoTime();
        }

        /** Percent of one core used by each process since the start (100 = one core busy), -1 if unknown. */
        public double[] percent() {
            double seconds = (System.nanoTime() - startNanos) / 1e9;
            double[] out = new double[pids.length];
            for (int i = 0; i < pids.length; i++) {
                double now = cpuSeconds(pids[i]);
                out[i] = now < 0 || startCpu[i] < 0 || seconds <= 0 ? -1
                        : Math.round((now - startCpu[i]) / seconds * 1000.0) / 10.0;
            }
            return out;
        }
    }
}
