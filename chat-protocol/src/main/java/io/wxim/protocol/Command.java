package io.wxim.protocol;

/**
 * What a gateway appends to the command stream for chat-service (Redis Stream read by a consumer group:
 * at-least-once, so every handler is idempotent). {@code user} comes from the verified token, never from the client.
 *
 * @param event what happened on the connection
 * @param node  the gateway node that owns the connection (where replies go)
 * @param conn  connection id, unique per node
 * @param ref   the gateway's id for this command; the reply that completes it carries the same {@code ref}
 * @param user  the authenticated user
 * @param frame the validated client frame (only for {@link Event#FRAME})
 */
public record Command(Event event, String node, String conn, long ref, UserRef user, ClientFrame frame) {
    public enum Event { CONNECT, FRAME, DISCONNECT }

    public Command {
        if (event == null || node == null || conn == null || user == null) {
            throw new IllegalArgumentException("event, node, conn and user are required");
        }
        if (event == Event.FRAME && frame == null) {
            throw new IllegalArgumentException("frame is required for FRAME");
        }
    }
}
