package io.wxim.bench;

/**
 * The subset of Engine.IO v4 / Socket.IO v5 framing the load generator needs, over WebSocket only
 * ({@code /socket.io/?EIO=4&transport=websocket}), default namespace only, no binary packets.
 * An Engine.IO packet is one text frame: a type digit ({@code 0} open, {@code 1} close, {@code 2} ping, {@code 3} pong,
 * {@code 4} message) and a payload; a message carries a Socket.IO packet: a type digit ({@code 0} connect,
 * {@code 1} disconnect, {@code 2} event, {@code 3} ack, {@code 4} connect error), an optional ack id, JSON.
 */
public final class EngineIo {

    public static final String PATH = "/socket.io/?EIO=4&transport=websocket";
    public static final String PONG = "3";
    public static final String PING = "2";

    public static final int OPEN = 0;
    public static final int CLOSE = 1;
    public static final int EIO_PING = 2;
    public static final int EIO_PONG = 3;
    public static final int MESSAGE = 4;

    public static final int CONNECT = 0;
    public static final int DISCONNECT = 1;
    public static final int EVENT = 2;
    public static final int ACK = 3;
    public static final int CONNECT_ERROR = 4;

    private EngineIo() {
    }

    /**
     * A decoded frame. {@code socketType} is -1 unless {@code engineType} is MESSAGE; {@code ackId} is -1 when absent;
     * {@code data} is the JSON text that follows (may be empty).
     */
    public record Packet(int engineType, int socketType, long ackId, String data) {
    }

    /** Socket.IO CONNECT to the default namespace with an auth object (JSON text, or null for none). */
    public static String connect(String authJson) {
        return authJson == null ? "40" : "40" + authJson;
    }

    /** Socket.IO EVENT {@code [name, argJson]}, asking for an ack when {@code ackId >= 0}. */
    public static String event(String name, String argJson, long ackId) {
        StringBuilder b = new StringBuilder(16 + name.length() + argJson.length()).append("42");
        if (ackId >= 0) {
            b.append(ackId);
        }
        return b.append("[\"").append(name).append("\",").append(argJson).append(']').toString();
    }

    public static Packet decode(String frame) {
        if (frame.isEmpty() || frame.charAt(0) < '0' || frame.charAt(0) > '6') {
            throw new IllegalArgumentException("not an Engine.IO packet");
        }
        int engineType = frame.charAt(0) - '0';
        if (engineType != MESSAGE) {
            return new Packet(engineType, -1, -1, frame.substring(1));
        }
        if (frame.length() < 2 || frame.charAt(1) < '0' || frame.charAt(1) > '6') {
            throw new IllegalArgumentException("not a Socket.IO packet");
        }
        int socketType = frame.charAt(1) - '0';
        int i = 2;
        if (i < frame.length() && frame.charAt(i) == '/') {
            int comma = frame.indexOf(',', i);
            String nsp = comma < 0 ? frame.substring(i) : frame.substring(i, comma);
            if (!"/".equals(nsp)) {
                throw new IllegalArgumentException("namespace not supported: " + nsp);
            }
            i = comma < 0 ? frame.length() : comma + 1;
        }
        long ackId = -1;
        int start = i;
        while (i < frame.length() && Character.isDigit(frame.charAt(i))) {
            i++;
        }
        if (i > start) {
            ackId = Long.parseLong(frame.substring(start, i));
        }
        return new Packet(engineType, socketType, ackId, frame.substring(i));
    }

    /** The event name of an EVENT payload ({@code ["name",...]}), or null. */
    public static String eventName(String data) {
        if (!data.startsWith("[\"")) {
            return null;
        }
        int end = data.indexOf('"', 2);
        return end < 0 ? null : data.substring(2, end);
    }
}
