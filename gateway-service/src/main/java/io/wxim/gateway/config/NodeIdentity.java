package io.wxim.gateway.config;

/** This gateway node's id: where chat-service addresses replies for its connections. */
public record NodeIdentity(String id) {
    public NodeIdentity {
        if (id == null || !id.matches("[A-Za-z0-9_-]{1,64}")) {
            throw new IllegalArgumentException("node id must be 1-64 characters of [A-Za-z0-9_-]");
        }
    }
}
