package io.wxim.chat.pair;

import io.wxim.chat.presence.PresenceFrames;
import io.wxim.chat.routing.Deliveries;
import io.wxim.protocol.NodeMessage;
import io.wxim.protocol.ServerFrame;
import java.util.List;

/**
 * What an accept tells both sides of every other waiting request its step removes ({@code pairRequestClosed busy}),
 * encoded once in Java and put together by {@code pair_accept.lua} in that step, since only the step finds those
 * requests (told after it, following the MongoDB write, a failure in between lost it for good: a retried accept finds
 * the session started and closes nothing). User {@code u} told of {@code requester -> target} gets
 * {@code head + u + beforeRequester + requester + beforeTarget + target + tail} on every node holding one of their
 * connections ({@code to}: where the script finds them). User ids ({@code [A-Za-z0-9_-]}) need no escaping at any
 * level of the encoded message, so the script puts them in as they are.
 */
record BusyNews(Deliveries.ToFound to, String head, String beforeRequester, String beforeTarget, String tail) {
    /**
     * Stand-ins for the three user ids: valid user ids, none part of another, found once each in the encoded message
     * (nothing else in it varies: no rid, no connection, a fixed reason).
     */
    private static final String USER_MARK = "Uu0mark0told";
    private static final String REQUESTER_MARK = "Rr0mark0requester";
    private static final String TARGET_MARK = "Tt0mark0target";

    static BusyNews of(Deliveries deliveries) {
        String encoded = deliveries.write(NodeMessage.toUser(USER_MARK, null, List.of(deliveries.encode(
                new ServerFrame.PairRequestClosed(null, REQUESTER_MARK, TARGET_MARK, "busy")))));
        int user = PresenceFrames.valueAt(encoded, USER_MARK, USER_MARK);
        int requester = PresenceFrames.valueAt(encoded, REQUESTER_MARK, REQUESTER_MARK);
        int target = PresenceFrames.valueAt(encoded, TARGET_MARK, TARGET_MARK);
        if (!(user < requester && requester < target)) {
            throw new IllegalStateException("the busy message names its user, requester and target in another order: " + encoded);
        }
        return new BusyNews(deliveries.toFound(), encoded.substring(0, user),
                encoded.substring(user + USER_MARK.length(), requester),
                encoded.substring(requester + REQUESTER_MARK.length(), target),
                encoded.substring(target + TARGET_MARK.length()));
    }

    /** The message telling {@code user} that {@code requester -> target} closed, as the script puts it together. */
    String message(String user, String requester, String target) {
        return head + user + beforeRequester + requester + beforeTarget + target + tail;
    }
}
