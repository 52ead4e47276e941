package io.wxim.history.message;

import io.wxim.protocol.ServerFrame;
import io.wxim.protocol.UserRef;

/**
 * A message as stored. {@code duplicate} is true when this answer is the original of an earlier store with the same
 * {@code (conv, from.id, cmid)}: nothing new was stored and {@code seq}, {@code id}, {@code ts} are the original's.
 */
public record StoredMessage(String conv, long seq, String id, UserRef from, String cmid, String kind, String body,
                            long ts, boolean duplicate) {

    StoredMessage asDuplicate() {
        return new StoredMessage(conv, seq, id, from, cmid, kind, body, ts, true);
    }

    public ServerFrame.Message toFrame() {
        return new ServerFrame.Message(conv, seq, id, from, cmid, kind, body, ts);
    }
}
