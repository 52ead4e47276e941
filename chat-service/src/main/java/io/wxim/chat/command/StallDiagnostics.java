package io.wxim.chat.command;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/**
 * Logs a thread dump (stack frames only: no arguments, no message bodies) when a command has used half its deadline
 * without finishing, at most once a minute. Every call inside a command has its own shorter timeout, so such a
 * command waits on something unbounded: the dump shows where. Kept until the intermittent stall recorded in
 * docs/architecture.md section 5 is explained.
 */
final class StallDiagnostics {
    private static final long MIN_INTERVAL_MILLIS = 60_000;
    private static final int MAX_CHARS = 200_000;
    private static final AtomicLong lastDump = new AtomicLong();

    private StallDiagnostics() {
    }

    static void dumpOnce(Logger log, String what) {
        long now = System.currentTimeMillis();
        long last = lastDump.get();
        if (now - last < MIN_INTERVAL_MILLIS || !lastDump.compareAndSet(last, now)) {
            return;
        }
        StringBuilder dump = new StringBuilder();
        for (ThreadInfo thread : ManagementFactory.getThreadMXBean().dumpAllThreads(false, false)) {
            dump.append('"').append(thread.getThreadName()).append("\" ").append(thread.getThreadState()).append('\n');
            for (StackTraceElement frame : thread.getStackTrace()) {
                dump.append("    at ").append(frame).append('\n');
            }
            if (dump.length() > MAX_CHARS) {
                dump.append("... (truncated)\n");
                break;
            }
        }
        log.warn("slow command, half its deadline passed: {}; thread dump:\n{}", what, dump);
    }
}
