package io.wxim.gateway.connection;

import java.nio.charset.StandardCharsets;

/**
 * A text frame queued for one or many connections. A room message reaches every local member as the same instance,
 * so its UTF-8 bytes are encoded once per gateway and shared (each socket wraps them without copying) instead of once
 * per connection.
 */
final class OutFrame {
    final String text;
    /** Encoded on first use; a race only encodes twice, both results equal. */
    private byte[] utf8;

    OutFrame(String text) {
        this.text = text;
    }

    byte[] utf8() {
        byte[] bytes = utf8;
        if (bytes == null) {
            bytes = text.getBytes(StandardCharsets.UTF_8);
            utf8 = bytes;
        }
        return bytes;
    }
}
