package io.wxim.gateway.config;

import java.security.SecureRandom;

/**
 * This gateway node's id (where chat-service addresses replies for its connections) and this process's boot id: the
 * middle part of every connId ({@code node.boot.n}) and the value of the node's alive key, so chat-service can tell
 * the connections of a dead process from those of a new one that took the same node id.
 */
public record NodeIdentity(String id, String boot) {
    private static final SecureRandom RANDOM = new SecureRandom();

    public NodeIdentity {
        if (id == null || !id.matches("[A-Za-z0-9_-]{1,64}")) {
            throw new IllegalArgumentException("node id must be 1-64 characters of [A-Za-z0-9_-]");
        }
        if (boot == null || !boot.matches("[0-9a-z]{1,16}")) {
            throw new IllegalArgumentException("boot id must be 1-16 characters of [0-9a-z]");
        }
    }

    /** Node {@code id} with a fresh random boot id. */
    public NodeIdentity(String id) {
        this(id, Long.toString(RANDOM.nextLong() & Long.MAX_VALUE, 36));
    }
}
