package io.wxim.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * What chat-service publishes to one gateway node's channel (Redis pub/sub: at-most-once; a lost reply surfaces as
 * the gateway's command timeout, the client gets a retryable error and retries idempotently).
 *
 * <ul>
 *   <li>{@code REPLY}: write {@code frames} to connection {@code conn}.</li>
 *   <li>{@code SUBSCRIBE}: every local connection of {@code user} now receives the conversations {@code convs};
 *       once the node's subscription is active, write {@code frames} to {@code conn} (if set).</li>
 *   <li>{@code UNSUBSCRIBE}: the same, removing {@code convs}.</li>
 *   <li>{@code USER}: write {@code frames} to every local connection of {@code user} except {@code conn} (if set;
 *       that connection got its own reply). Direct and pair conversations and pairing events travel this way.</li>
 * </ul>
 * {@code frames} are encoded {@link ServerFrame}s written as they are, except that on a {@code SUBSCRIBE},
 * {@code seqs} lists the last seq its {@code welcome} or {@code joined} states for each subscribed conversation: a
 * message published on a channel before this gateway applied the subscription is not delivered to the connection, so
 * the gateway raises a stated seq that a newer published one passed (ADR-27) and the client syncs the gap. Gateways
 * that predate the field ignore it. {@code leaves} (null when not stated) is the user's last room leave, a value of a
 * sequence that only grows (ADR-31): on a leave's {@code UNSUBSCRIBE}, that leave's; on a connection's welcome (the
 * {@code SUBSCRIBE} answering its CONNECT), the one read before its memberships were (0: none). A gateway does not let
 * a welcome subscribe a room that a later leave (a higher value) took away while the connection was being set up.
 * {@code others} (on a {@code SUBSCRIBE}; empty when not stated) are frames for the user's other local connections
 * (every one but {@code conn}), written like {@code frames} once the subscription is applied, their stated seqs
 * raised the same way: a join's {@code joined} event (no {@code rid}) reaches the user's other devices only once they
 * receive the room, and before any of its messages. Gateways that predate the field ignore it (those devices learn
 * of the join at their next connect).
 * {@code ref}, when not 0, completes the connection's command with that ref. {@code user} is always the connection's user: a gateway drops a message whose
 * connection now belongs to someone else (a stale reply must never reach another user). {@code ref} is always
 * written, also when 0: the strict codec refuses a missing primitive.
 */
@JsonInclude(JsonInclude.Include.NON_DEFAULT)
public record NodeMessage(Kind kind, String conn, String user, List<String> convs, List<String> frames,
                          @JsonInclude(JsonInclude.Include.ALWAYS) long ref, Map<String, Long> seqs,
                          @JsonInclude(JsonInclude.Include.NON_NULL) Long leaves, List<String> others) {
    public enum Kind { REPLY, SUBSCRIBE, UNSUBSCRIBE, USER }

    public NodeMessage {
        if (kind == null) {
            throw new IllegalArgumentException("kind is required");
        }
        convs = convs == null ? List.of() : List.copyOf(convs);
        frames = frames == null ? List.of() : List.copyOf(frames);
        others = others == null ? List.of() : List.copyOf(others);
        seqs = seqs == null || seqs.isEmpty() ? Map.of() // every reply and user delivery: nothing to copy
                : seqs.entrySet().stream().filter(e -> e.getKey() != null && e.getValue() != null)
                        .collect(java.util.stream.Collectors.toUnmodifiableMap(Map.Entry::getKey, Map.Entry::getValue));
    }

    public NodeMessage(Kind kind, String conn, String user, List<String> convs, List<String> frames, long ref) {
        this(kind, conn, user, convs, frames, ref, Map.of(), null, List.of());
    }

    public static NodeMessage reply(String user, String conn, long ref, List<String> frames) {
        return new NodeMessage(Kind.REPLY, conn, user, List.of(), frames, ref);
    }

    /** Frames for every local connection of {@code user} but {@code exceptConn} (null: all of them). */
    public static NodeMessage toUser(String user, String exceptConn, List<String> frames) {
        return new NodeMessage(Kind.USER, exceptConn, user, List.of(), frames, 0);
    }

    public static NodeMessage subscribe(String user, List<String> convs, String conn, long ref, List<String> frames) {
        return new NodeMessage(Kind.SUBSCRIBE, conn, user, convs, frames, ref);
    }

    /** A subscribe whose frames state {@code seqs} (conversation -> last seq) for the subscribed conversations. */
    public static NodeMessage subscribe(String user, List<String> convs, String conn, long ref, List<String> frames,
                                        Map<String, Long> seqs) {
        return new NodeMessage(Kind.SUBSCRIBE, conn, user, convs, frames, ref, seqs, null, List.of());
    }

    /**
     * A subscribe stating {@code seqs}, whose {@code frames} go to {@code conn} (if set) and {@code others} to the
     * user's other connections on the node, each once the subscription is applied.
     */
    public static NodeMessage subscribe(String user, List<String> convs, String conn, long ref, List<String> frames,
                                        Map<String, Long> seqs, List<String> others) {
        return new NodeMessage(Kind.SUBSCRIBE, conn, user, convs, frames, ref, seqs, null, others);
    }

    /** A connection's welcome: a subscribe stating {@code seqs} and the user's last leave read before its memberships. */
    public static NodeMessage welcome(String user, List<String> convs, String conn, long ref, List<String> frames,
                                      Map<String, Long> seqs, long leaves) {
        return new NodeMessage(Kind.SUBSCRIBE, conn, user, convs, frames, ref, seqs, leaves, List.of());
    }

    public static NodeMessage unsubscribe(String user, List<String> convs, String conn, long ref, List<String> frames) {
        return new NodeMessage(Kind.UNSUBSCRIBE, conn, user, convs, frames, ref);
    }

    /** A leave's unsubscribe, stating that leave's value. */
    public static NodeMessage unsubscribe(String user, List<String> convs, String conn, long ref, List<String> frames,
                                          long leaves) {
        return new NodeMessage(Kind.UNSUBSCRIBE, conn, user, convs, frames, ref, Map.of(), leaves, List.of());
    }
}
