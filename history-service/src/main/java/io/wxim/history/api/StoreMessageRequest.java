package io.wxim.history.api;

import io.wxim.history.message.InvalidRequestException;
import io.wxim.history.message.NewMessage;

/** Body of {@code POST /internal/messages}: what chat-service authorized; the server adds seq, id and ts. */
record StoreMessageRequest(String conv, Sender from, String cmid, String kind, String body, String media,
                           Integer duration) {

    record Sender(String id, String nickname, String avatarUrl) {
    }

    NewMessage toNewMessage(int maxBodyLength) {
        if (from == null) {
            throw new InvalidRequestException("from is required");
        }
        return NewMessage.of(conv, from.id(), from.nickname(), from.avatarUrl(), cmid, kind, body, media, duration,
                maxBodyLength);
    }
}
