package io.wxim.history.message;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.wxim.protocol.ServerFrame;
import io.wxim.protocol.UserRef;

/**
 * A message as stored. {@code duplicate} is true when this answer is the original of an earlier store with the same
 * {@code (conv, from.id, cmid)}: nothing new was stored and {@code seq}, {@code id}, {@code ts} are the original's.
 * {@code recalled} is true once its sender recalled it: the body is gone ({@code null}, absent from the JSON).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record StoredMessage(String conv, long seq, String id, UserRef from, String cmid, String kind, String body,
                            long ts, boolean duplicate, boolean recalled, ServerFrame.Media media) {

    public StoredMessage {
        if (recalled) {
            body = null;
            media = null;
        }
    }

    StoredMessage asDuplicate() {
        return new StoredMessage(conv, seq, id, from, cmid, kind, body, ts, true, recalled, media);
    }

    /** The same message with its media replaced (e.g. by a copy carrying signed URLs). */
    public StoredMessage withMedia(ServerFrame.Media replacement) {
        return new StoredMessage(conv, seq, id, from, cmid, kind, body, ts, duplicate, recalled, replacement);
    }

    /**
     * The wire form: {@code recalled} is {@code true} or absent, and a recalled message has neither body nor media.
     * Media come as stored (no URLs); {@code MediaUrls} adds them on the way out.
     */
    public ServerFrame.Message toFrame() {
        return new ServerFrame.Message(conv, seq, id, from, cmid, kind, body, ts, recalled ? Boolean.TRUE : null, media);
    }
}
