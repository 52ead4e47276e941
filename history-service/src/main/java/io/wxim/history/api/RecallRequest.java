package io.wxim.history.api;

import io.wxim.history.message.InvalidRequestException;
import io.wxim.history.message.NewMessage;
import io.wxim.protocol.UserRef;

/**
 * Body of {@code POST /internal/conversations/{conv}/messages/{seq}/recall}: who recalls (id, and the nickname and
 * avatar the recall notice shows; both optional), and the oldest {@code ts} (epoch ms) still recallable. chat-service
 * has checked membership and computes {@code notBefore = now - window}.
 */
record RecallRequest(String by, String nickname, String avatarUrl, Long notBefore) {

    /** Throws {@link InvalidRequestException} (never echoing input) unless every field is usable. */
    RecallRequest validate() {
        if (by == null || by.isBlank() || by.length() > NewMessage.MAX_USER_ID) {
            throw new InvalidRequestException("by is required (1-" + NewMessage.MAX_USER_ID + " characters)");
        }
        if (notBefore == null) {
            throw new InvalidRequestException("notBefore is required (epoch millis)");
        }
        NewMessage.requireProfile(nickname, avatarUrl);
        return this;
    }

    UserRef recaller() {
        return new UserRef(by, nickname, avatarUrl);
    }
}
