package io.wxim.testinfra;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs an external program (node scripts) from a test: bounded in time, stdout and stderr read fully and concurrently. */
public final class Processes {
    private Processes() {
    }

    public record Result(int exit, String stdout, String stderr) {
    }

    /**
     * Runs {@code command} in {@code dir} with extra environment variables, writing {@code stdin}; kills it and throws
     * an {@link AssertionError} if it runs longer than {@code timeout}.
     *
     * @throws IOException if the program cannot be started (e.g. not on the PATH)
     */
    public static Result run(List<String> command, Path dir, Map<String, String> env, String stdin, Duration timeout)
            throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile());
        builder.environment().putAll(env);
        Process process = builder.start();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> readAll(process.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> readAll(process.getErrorStream()));
        try (OutputStream in = process.getOutputStream()) {
            in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            throw new AssertionError(command + " did not finish within " + timeout + "; output so far is lost");
        }
        try {
            return new Result(process.exitValue(), out.get(5, TimeUnit.SECONDS), err.get(5, TimeUnit.SECONDS));
        } catch (Exception e) {
            throw new AssertionError("could not read the output of " + command + ": " + e);
        }
    }

    /** The directory {@code relative} (e.g. {@code clients/js}) found at or above the working directory. */
    public static Path findUp(String relative, String marker) {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve(relative);
            if (Files.isRegularFile(candidate.resolve(marker))) {
                return candidate;
            }
        }
        throw new AssertionError(relative + "/" + marker + " not found above " + Path.of("").toAbsolutePath());
    }

    private static String readAll(InputStream stream) {
        try (stream) {
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
