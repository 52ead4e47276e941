package io.wxim.launcher;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import redis.embedded.Redis;
import redis.embedded.RedisServer;
import redis.embedded.core.RedisServerBuilder;

/**
 * The launcher's redis-server (the binary shipped in embedded-redis), as a child process this class owns, so that it
 * stops <em>after</em> the services: embedded-redis' {@link RedisServer#start()} always adds a JVM shutdown hook that
 * stops redis-server while the services' hooks still drain (the gateway's DISCONNECTs, Lettuce reconnect WARNs), so
 * the library only extracts the binary and writes the config file here. The process runs in a session of its own
 * ({@code setsid}, part of util-linux on every Linux) so that Ctrl+C, which the terminal sends to the whole foreground
 * process group, reaches only the JVM; without {@code setsid} (macOS) it starts directly and Ctrl+C stops it at once,
 * as a Redis crash would. Its output goes to {@code redis-server.log} in its data directory (rewritten at each start).
 */
final class EmbeddedRedis implements AutoCloseable {
    /** Above the load of a large AOF file at start; the start fails after it. */
    private static final Duration START_LIMIT = Duration.ofSeconds(60);
    /** redis-server flushes the AOF on SIGTERM in far less; after it the process is killed. */
    private static final Duration STOP_LIMIT = Duration.ofSeconds(10);
    private static final Duration POLL = Duration.ofMillis(50);

    private final Process process;
    private final Path log;

    private EmbeddedRedis(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** The file redis-server writes its process id to, in its data directory (so a run killed with -9 can be cleaned up). */
    static Path pidFile(Path dir) {
        return dir.resolve("redis-server.pid");
    }

    /**
     * Stops a redis-server left running on {@code dir} by an earlier launcher that was killed ({@code kill -9}, a
     * crash: it runs in a session of its own and outlives its launcher, holding the port and the AOF, so the next start
     * failed on the port). Only a live process named by the directory's pidfile whose command is redis-server (the pid
     * may have been reused); stopped as on a normal stop (SIGTERM: it flushes the AOF), killed after
     * {@link #STOP_LIMIT}. Call only while holding the directory's {@link DataDirLock}: then no launcher owns it.
     *
     * @return the process id stopped, if there was one
     */
    static Optional<Long> stopLeftOver(Path dir) throws IOException {
        Path pidFile = pidFile(dir);
        if (!Files.isRegularFile(pidFile)) {
            return Optional.empty();
        }
        long pid;
        try {
            pid = Long.parseLong(Files.readString(pidFile, StandardCharsets.US_ASCII).strip());
        } catch (NumberFormatException e) {
            return Optional.empty(); // not redis-server's (it writes the number alone)
        }
        Optional<ProcessHandle> process = ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                .filter(handle -> handle.info().command().map(command -> command.contains("redis-server")).orElse(false));
        if (process.isEmpty()) {
            return Optional.empty();
        }
        ProcessHandle redis = process.get();
        redis.destroy();
        try {
            redis.onExit().get(STOP_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            redis.destroyForcibly();
            throw new IOException("the redis-server (pid " + pid + ") left by an earlier launcher did not stop within "
                    + STOP_LIMIT.toSeconds() + " s; killed");
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IOException("could not wait for the redis-server (pid " + pid + ") left by an earlier launcher", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while stopping the redis-server (pid " + pid + ") left by an earlier launcher", e);
        }
        return Optional.of(pid);
    }

    /**
     * Starts redis-server on {@code 127.0.0.1:port} with AOF on, its data in {@code dir}; returns at once, before it is
     * ready ({@link #awaitReady}), so that whoever stops it on shutdown knows it even while it is starting (loading a
     * large AOF can take a while, and a Ctrl+C then, which does not reach it in its own session, left it running).
     */
    static EmbeddedRedis launch(int port, Path dir) throws IOException {
        List<String> redisCommand = new RedisServerBuilder() // [binary, config file]
                .port(port)
                .bind("127.0.0.1")
                .setting("dir " + dir)
                .setting("appendonly yes")
                .setting("save \"\"")
                .setting("pidfile " + pidFile(dir))
                .buildCommandArgs();
        List<String> command = new ArrayList<>();
        setsid().ifPresent(command::add);
        command.addAll(redisCommand);
        Path log = dir.resolve("redis-server.log");
        Process process = new ProcessBuilder(command)
                .directory(new File(redisCommand.get(0)).getParentFile()) // the binary's directory, as the library's
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        return new EmbeddedRedis(process, log);
    }

    /** The process id (redis-server's: {@code setsid} replaces itself with it). */
    long pid() {
        return process.pid();
    }

    /** Whether redis-server is running (false once it exited, e.g. when it could not bind its port). */
    boolean running() {
        return process.isAlive();
    }

    /** Stops redis-server (SIGTERM: it flushes the AOF and exits), killing it after {@link #STOP_LIMIT}. */
    @Override
    public void close() throws IOException {
        process.destroy();
        try {
            if (!process.waitFor(STOP_LIMIT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(STOP_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
                throw new IOException("redis-server did not stop within " + STOP_LIMIT.toSeconds() + " s; killed");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new IOException("interrupted while redis-server stopped; killed", e);
        }
    }

    /** Waits until redis-server accepts connections; fails (killing it) if it exits or is not ready in time. */
    void awaitReady() throws IOException {
        long deadline = System.nanoTime() + START_LIMIT.toNanos();
        while (!Redis.SERVER_READY_PATTERN.matcher(output()).find()) {
            if (!process.isAlive()) {
                throw new IOException("redis-server did not start (exit " + process.exitValue() + "):\n" + output());
            }
            if (System.nanoTime() > deadline) {
                process.destroyForcibly();
                throw new IOException("redis-server not ready within " + START_LIMIT.toSeconds() + " s:\n" + output());
            }
            try {
                Thread.sleep(POLL.toMillis()); // main thread at start-up, before any service runs
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
                throw new IOException("interrupted while redis-server started", e);
            }
        }
    }

    private String output() throws IOException {
        return Files.exists(log) ? Files.readString(log, StandardCharsets.ISO_8859_1) : ""; // never malformed
    }

    /** {@code setsid} from the PATH, if there is one. */
    private static Optional<String> setsid() {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        return Arrays.stream(path.split(File.pathSeparator))
                .filter(entry -> !entry.isBlank())
                .map(entry -> Path.of(entry, "setsid"))
                .filter(Files::isExecutable)
                .map(Path::toString)
                .findFirst();
    }
}
