package io.wxim.launcher;

import java.time.Duration;

/**
 * The launcher's shutdown with a bound: the services get {@code limit} to stop (gateway drain, graceful shutdowns);
 * whatever happens (in time, late, or failing), the rest (the fake WeChat server, the in-process store, so its file is
 * closed cleanly, and the embedded Redis, which the drain still used) runs afterwards and the process can exit.
 * Without it one stop that never returned (seen once: a resource factory waiting for its event loops) kept the process
 * alive until {@code kill -9}.
 */
final class BoundedShutdown {
    private BoundedShutdown() {
    }

    /** Runs {@code services} on its own thread, waits at most {@code limit}, then {@code afterwards}; true if in time. */
    static boolean run(Runnable services, Duration limit, Runnable afterwards) {
        boolean[] failed = {false};
        Thread stopping = new Thread(() -> {
            try {
                services.run();
            } catch (Throwable e) {
                failed[0] = true;
                System.err.println("the services did not stop cleanly: " + e);
            }
        }, "wxim-local-stop-services");
        stopping.setDaemon(true);
        stopping.start();
        boolean inTime;
        try {
            stopping.join(Math.max(1, limit.toMillis()));
            inTime = !stopping.isAlive() && !failed[0];
            if (stopping.isAlive()) {
                System.err.printf("the services did not stop within %d s; stopping the rest anyway%n", limit.toSeconds());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            System.err.println("interrupted while the services stopped; stopping the rest anyway");
            inTime = false;
        }
        afterwards.run();
        return inTime;
    }
}
