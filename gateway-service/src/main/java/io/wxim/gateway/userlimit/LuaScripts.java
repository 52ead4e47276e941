package io.wxim.gateway.userlimit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.springframework.core.io.ClassPathResource;
import org.springframework.data.redis.core.script.RedisScript;

/** Loads the gateway's Lua scripts once, when the class loads: reading the file lazily would block an event loop. */
final class LuaScripts {
    static final RedisScript<Long> USER_SEND_RATE = load("redis/user-send-rate.lua");
    static final RedisScript<Long> USER_CONNECTION = load("redis/user-connection.lua");

    private LuaScripts() {
    }

    private static RedisScript<Long> load(String path) {
        try {
            return RedisScript.of(new ClassPathResource(path).getContentAsString(StandardCharsets.UTF_8), Long.class);
        } catch (IOException e) {
            throw new UncheckedIOException("missing script " + path, e);
        }
    }
}
