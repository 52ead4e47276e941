package io.wxim.launcher;

import java.time.Duration;

/**
 * The launcher's shutdown with a bound: the services get {@code limit} to stop (gateway drain, graceful shutdowns);
 * whatever happens, the rest (the fake WeChat server, the embedded stores, so the store file is closed cleanly) runs
 * afterwards and the process can exit. Without it one stop that never returns (seen once: a resource factory waiting
 * for its event loops) kept the process alive until {@code kill -9}.
 */
final class BoundedShutdown {
    private BoundedShutdown() {
    }

    /** Runs {@code services} on its own thread, waits at most {@code limit}, then {@code afterwards}; true if in time. */
    static boolean run(Runnable services, Duration limit, Runnable afterwards) {
        Thread stopping = new Thread(services, "wxim-local-stop-services");
        stopping.setDaemon(true);
        stopping.start();
        boolean inTime;
        try {
            stopping.join(limit.toMillis());
            inTime = !stopping.isAlive();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            inTime = false;
        }
        if (!inTime) {
            System.err.printf("the services did not stop within %d s; stopping the embedded stores anyway%n",
                    limit.toSeconds());
        }
        afterwards.run();
        return inTime;
    }
}
