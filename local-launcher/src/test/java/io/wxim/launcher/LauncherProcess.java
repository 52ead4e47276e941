package io.wxim.launcher;

import io.wxim.testinfra.TestInfra;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.IntStream;

/**
 * The packaged exec jar (what ./run-local.sh starts) as a process of its own on free ports, with its output collected
 * (read until it ends, so it never blocks on a full pipe). For the *IT classes, which run after packaging.
 */
final class LauncherProcess implements AutoCloseable {
    static final Duration STARTUP = Duration.ofSeconds(120);

    private final Process process;
    private final int port;
    private final Path data;
    private final StringBuffer output = new StringBuffer();
    private final CompletableFuture<Void> started = new CompletableFuture<>();
    private final Thread reader;

    private LauncherProcess(Process process, int port, Path data) {
        this.process = process;
        this.port = port;
        this.data = data;
        this.reader = new Thread(this::read, "launcher-output");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts the jar with {@code WXIM_DATA=data}, free ports and {@code env}; with {@code ownProcessGroup} under
     * {@code setsid}, so that {@link #interruptProcessGroup()} can send what Ctrl+C in a terminal sends.
     */
    static LauncherProcess start(Path data, Map<String, String> env, boolean ownProcessGroup) throws IOException {
        Path jar = Path.of(System.getProperty("launcher.jar"));
        if (!jar.toFile().isFile()) {
            throw new IllegalStateException("no launcher jar at " + jar);
        }
        int port = freePortBlock(); // the services take the next three ports, actuators those + 1000
        List<String> command = new ArrayList<>();
        if (ownProcessGroup) {
            command.add("setsid"); // not a group leader, so setsid replaces itself with java: the JVM leads the group
        }
        command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-jar", jar.toString()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("WXIM_DATA", data.toString());
        builder.environment().put("WXIM_PORT", String.valueOf(port));
        builder.environment().put("WXIM_REDIS_PORT", String.valueOf(TestInfra.freePort()));
        builder.environment().put("WXIM_MONGO_PORT", String.valueOf(TestInfra.freePort()));
        // the fake WeChat unless a test asks otherwise, whatever the environment running the tests holds
        builder.environment().remove(WeChatLogin.APP_ID);
        builder.environment().remove(WeChatLogin.SECRET);
        builder.environment().remove("WXIM_BIND"); // the default: this machine only
        builder.environment().putAll(env);
        return new LauncherProcess(builder.start(), port, data);
    }

    /** Waits for the banner ("Open http://localhost:port/"). */
    void awaitStarted() throws InterruptedException {
        try {
            started.get(STARTUP.toSeconds(), TimeUnit.SECONDS);
        } catch (TimeoutException | ExecutionException e) {
            throw new AssertionError("no banner within " + STARTUP + ":\n" + output, e);
        }
    }

    /** The gateway's port (the demo, /ws, /api/**). */
    int port() {
        return port;
    }

    /**
     * SIGTERM to the launcher's JVM only, as {@code kill PID} or a container stop sends it. Not {@link Process#destroy()}:
     * it also closes the pipes, so the output of the stop would be lost (and the launcher would write into a closed pipe).
     */
    void terminate() throws IOException, InterruptedException {
        kill("-TERM", String.valueOf(process.pid()));
    }

    /** Ctrl+C in a terminal: SIGINT to every process of the foreground group (here the launcher's own group). */
    void interruptProcessGroup() throws IOException, InterruptedException {
        kill("-INT", "--", "-" + process.pid());
    }

    private static void kill(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("kill"));
        command.addAll(List.of(args));
        Process kill = new ProcessBuilder(command).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed");
        }
    }

    /** {@code kill -9} of the launcher's JVM alone (a crash): what it started in sessions of its own keeps running. */
    void killJvm() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("launcher not killed within 10 s");
        }
    }

    /** The launcher JVM's process id. */
    long pid() {
        return process.pid();
    }

    /** The exit code; the process must have exited ({@link #awaitExit}). */
    int exitValue() {
        return process.exitValue();
    }

    /** Waits for the process to exit and its output to end; false if it is still running after {@code wait}. */
    boolean awaitExit(Duration wait) throws InterruptedException {
        boolean exited = process.waitFor(wait.toMillis(), TimeUnit.MILLISECONDS);
        if (exited) {
            reader.join(5_000);
        }
        return exited;
    }

    /** Everything it printed so far. */
    String output() {
        return output.toString();
    }

    /**
     * Kills the launcher if it still runs (a failed or timed-out test), and then the redis-server it started, which
     * runs in a session of its own and outlives a launcher killed that way.
     */
    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
                Path pidFile = EmbeddedRedis.pidFile(data.resolve("redis"));
                if (Files.exists(pidFile)) {
                    ProcessHandle.of(Long.parseLong(Files.readString(pidFile).trim())).ifPresent(ProcessHandle::destroyForcibly);
                }
            } catch (IOException | NumberFormatException e) {
                System.err.println("redis-server of the killed launcher not found: " + e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void read() {
        String banner = "Open      http://localhost:" + port + "/";
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                output.append(line).append('\n');
                if (line.contains(banner)) {
                    started.complete(null);
                }
            }
        } catch (IOException e) {
            started.completeExceptionally(e);
        }
        started.completeExceptionally(new IllegalStateException("launcher exited:\n" + output));
    }

    /**
     * A base port below Linux's ephemeral range (32768+) such that base..base+3 and base+1000..base+1003 are all free
     * now: the launcher binds all eight, and a random ephemeral base can collide with a client socket.
     */
    private static int freePortBlock() {
        Random random = new Random();
        for (int attempt = 0; attempt < 50; attempt++) {
            int base = 20000 + random.nextInt(9000);
            if (IntStream.of(0, 1, 2, 3, 1000, 1001, 1002, 1003).allMatch(i -> isFree(base + i))) {
                return base;
            }
        }
        throw new IllegalStateException("no free block of ports");
    }

    private static boolean isFree(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
