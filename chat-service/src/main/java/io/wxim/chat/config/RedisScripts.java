package io.wxim.chat.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.springframework.core.io.ClassPathResource;
import org.springframework.data.redis.core.script.RedisScript;

/**
 * Loads Lua scripts from {@code redis/} on the classpath. Call it from a static initializer: the file is read once,
 * when the class loads at startup. A resource-backed RedisScript would read the file lazily on first use, i.e. on an
 * event loop (found by BlockHound).
 */
public final class RedisScripts {
    private RedisScripts() {
    }

    public static <T> RedisScript<T> load(String path, Class<T> resultType) {
        return RedisScript.of(read(path), resultType);
    }

    /**
     * The script at {@code path} after the functions it uses from {@code redis/lib/} (such as {@code to_users.lua}),
     * in one script: Redis runs it as one atomic step.
     */
    public static <T> RedisScript<T> load(String path, Class<T> resultType, String... libraries) {
        StringBuilder source = new StringBuilder();
        for (String library : libraries) {
            source.append(read(library)).append('\n');
        }
        return RedisScript.of(source.append(read(path)).toString(), resultType);
    }

    private static String read(String path) {
        try {
            return new ClassPathResource(path).getContentAsString(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("missing Redis script " + path, e);
        }
    }
}
