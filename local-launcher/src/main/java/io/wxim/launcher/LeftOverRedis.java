package io.wxim.launcher;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * A redis-server an earlier launcher on the same data directory left running: killed with {@code kill -9} or crashed,
 * that launcher could not stop it (it runs in a session of its own), and it still holds the port and the AOF, so the
 * next start failed on the port. Found by the pidfile redis-server writes in its directory, and only taken for that
 * directory's if the process is alive, is a redis-server, started no later than the pidfile was written (a reused pid
 * is younger) and, where {@code /proc} shows it, works in that directory (redis-server changes into its {@code dir}:
 * a copy of a data directory names the original's process, which is not this directory's to stop).
 */
final class LeftOverRedis {
    private static final Duration STOP_LIMIT = Duration.ofSeconds(10);
    private static final Duration POLL = Duration.ofMillis(50);

    private LeftOverRedis() {
    }

    /**
     * Stops it as a normal stop does (SIGTERM: it flushes the AOF and removes its pidfile), killing it after 10 s. Call
     * only while holding the directory's {@link DataDirLock}: then no launcher owns it.
     *
     * @return the process id stopped, if there was one
     */
    static Optional<Long> stop(Path dir) throws IOException {
        Path pidFile = EmbeddedRedis.pidFile(dir);
        Optional<ProcessHandle> found = find(dir, pidFile);
        if (found.isEmpty()) {
            return Optional.empty();
        }
        ProcessHandle redis = found.get();
        if (!redis.destroy()) {
            throw new IOException("cannot stop the redis-server (pid " + redis.pid() + ") an earlier launcher left running on "
                    + dir + " (stop it yourself)");
        }
        if (!awaitGone(redis, pidFile, STOP_LIMIT)) {
            redis.destroyForcibly();
            if (!awaitGone(redis, pidFile, STOP_LIMIT)) {
                throw new IOException("the redis-server (pid " + redis.pid() + ") an earlier launcher left running did not stop");
            }
        }
        return Optional.of(redis.pid());
    }

    private static Optional<ProcessHandle> find(Path dir, Path pidFile) throws IOException {
        if (!Files.isRegularFile(pidFile)) {
            return Optional.empty();
        }
        long pid;
        try {
            pid = Long.parseLong(Files.readString(pidFile, StandardCharsets.US_ASCII).strip());
        } catch (NumberFormatException e) {
            return Optional.empty(); // not redis-server's (it writes the number alone)
        }
        Instant written = Files.getLastModifiedTime(pidFile).toInstant();
        return ProcessHandle.of(pid)
                .filter(ProcessHandle::isAlive)
                .filter(p -> p.info().command().map(command -> command.contains("redis-server")).orElse(false))
                .filter(p -> p.info().startInstant().map(start -> !start.isAfter(written.plusSeconds(1))).orElse(true))
                .filter(p -> worksIn(p, dir));
    }

    /** Whether its working directory is {@code dir}; true where that cannot be seen (no {@code /proc}: macOS). */
    private static boolean worksIn(ProcessHandle process, Path dir) {
        Path cwd = Path.of("/proc", String.valueOf(process.pid()), "cwd");
        if (!Files.isDirectory(Path.of("/proc", "self"))) {
            return true;
        }
        try {
            return Files.isSameFile(cwd.toRealPath(), dir.toRealPath());
        } catch (IOException e) {
            return false; // gone meanwhile, or not ours to look into
        }
    }

    /**
     * Until it exited or its pidfile is gone (redis-server removes it as it exits: an exited process whose parent never
     * reaps it, a zombie in a container without an init, still counts as alive).
     */
    private static boolean awaitGone(ProcessHandle process, Path pidFile, Duration limit) throws IOException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (process.isAlive() && Files.exists(pidFile)) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(POLL.toMillis()); // main thread at start-up, before any service runs
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while the redis-server (pid " + process.pid() + ") stopped", e);
            }
        }
        return true;
    }
}
