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
 * as a Redis crash would. Its output goes to {@code redis-server.log} in its data directory, appended across starts
 * (so a left-over instance's stop stays readable; moved to {@code redis-server.log.1} once it passes 1 MB).
 */
final class EmbeddedRedis implements AutoCloseable {
    /** Above the load of a large AOF file at start; the start fails after it. */
    private static final Duration START_LIMIT = Duration.ofSeconds(60);
    /** redis-server flushes the AOF on SIGTERM in far less; after it the process is killed. */
    private static final Duration STOP_LIMIT = Duration.ofSeconds(10);
    private static final Duration POLL = Duration.ofMillis(50);
    private static final long LOG_ROTATE_BYTES = 1 << 20;

    private final Process process;
    private final Path log;
    /** Where this run's output starts in {@link #log}. */
    private final long logStart;

    private EmbeddedRedis(Process process, Path log, long logStart) {
        this.process = process;
        this.log = log;
        this.logStart = logStart;
    }

    /** The file redis-server writes its process id to, in its data directory (so a run killed with -9 can be cleaned up). */
    static Path pidFile(Path dir) {
        return dir.resolve("redis-server.pid");
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
        if (Files.exists(log) && Files.size(log) > LOG_ROTATE_BYTES) {
            Files.move(log, dir.resolve("redis-server.log.1"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        long logStart = Files.exists(log) ? Files.size(log) : 0;
        Process process = new ProcessBuilder(command)
                .directory(new File(redisCommand.get(0)).getParentFile()) // the binary's directory, as the library's
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        return new EmbeddedRedis(process, log, logStart);
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

    /** This run's output so far. */
    private String output() throws IOException {
        if (!Files.exists(log)) {
            return "";
        }
        byte[] all = Files.readAllBytes(log);
        int from = (int) Math.min(logStart, all.length);
        return new String(all, from, all.length - from, StandardCharsets.ISO_8859_1); // never malformed
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
