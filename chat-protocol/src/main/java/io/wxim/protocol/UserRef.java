package io.wxim.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;

/** A user as shown to others: id plus the display profile taken from the verified token. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record UserRef(String id, String nickname, String avatarUrl) {
    public UserRef {
        if (id == null || id.isBlank()) {
            throw new ProtocolException(ErrorCode.BAD_REQUEST, "user id is required");
        }
    }

    /** What to show for the user: the nickname, or the id when there is none. */
    public String displayName() {
        return nickname == null ? id : nickname;
    }
}
