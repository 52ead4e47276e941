package io.wxim.history.message;

import io.wxim.protocol.ClientFrame;
import io.wxim.protocol.Conversations;
import io.wxim.protocol.UserRef;

/**
 * A message to store, already authorized by chat-service. Construct it with {@link #of}, which validates every field
 * and throws {@link InvalidRequestException} with a message that never echoes the input.
 */
public record NewMessage(String conv, UserRef from, String cmid, String kind, String body, String mediaId,
                         Integer duration) {
    public static final String TEXT = ClientFrame.Send.TEXT;
    public static final String IMAGE = ClientFrame.Send.IMAGE;
    public static final String AUDIO = ClientFrame.Send.AUDIO;
    /**
     * A recall notice: stored by history itself when a message is recalled, never sent by a client ({@link #of}
     * refuses it). Its body is the recalled message's seq in decimal.
     */
    public static final String RECALL = "recall";
    /** The cmid of the notice for recalling seq N is this prefix + N: '~' is outside the client cmid alphabet. */
    static final String RECALL_CMID_PREFIX = "~recall:";
    private static final java.util.regex.Pattern MEDIA_ID = java.util.regex.Pattern.compile("[A-Za-z0-9_-]{1,64}");
    /** Longest sender id, nickname and avatar URL accepted (characters); generous, they come from our own tokens. */
    public static final int MAX_USER_ID = 128;
    static final int MAX_NICKNAME = 128;
    static final int MAX_AVATAR_URL = 2048;

    /** Throws {@link InvalidRequestException} if a sender's nickname or avatar URL is too long (both optional). */
    public static void requireProfile(String nickname, String avatarUrl) {
        if (nickname != null && nickname.length() > MAX_NICKNAME) {
            throw new InvalidRequestException("from.nickname is longer than " + MAX_NICKNAME + " characters");
        }
        if (avatarUrl != null && avatarUrl.length() > MAX_AVATAR_URL) {
            throw new InvalidRequestException("from.avatarUrl is longer than " + MAX_AVATAR_URL + " characters");
        }
    }

    /** The recall notice of message {@code seq}, from the recaller: one per recalled message (its cmid says which). */
    static NewMessage recallNotice(String conv, UserRef by, long seq) {
        String n = Long.toString(seq);
        return new NewMessage(conv, by, RECALL_CMID_PREFIX + n, RECALL, n, null, null);
    }

    /** A text message. */
    public static NewMessage of(String conv, String fromId, String nickname, String avatarUrl, String cmid,
                                String kind, String body, int maxBodyLength) {
        return of(conv, fromId, nickname, avatarUrl, cmid, kind, body, null, null, maxBodyLength);
    }

    /** Any kind: text needs a body; image and audio need the id of the sender's upload (audio also its duration). */
    public static NewMessage of(String conv, String fromId, String nickname, String avatarUrl, String cmid,
                                String kind, String body, String mediaId, Integer duration, int maxBodyLength) {
        if (!Conversations.isValid(conv)) {
            throw new InvalidRequestException("conv must match [rdp]:[A-Za-z0-9_-]{1,64}");
        }
        if (fromId == null || fromId.isBlank() || fromId.length() > MAX_USER_ID) {
            throw new InvalidRequestException("from.id is required (1-" + MAX_USER_ID + " characters)");
        }
        requireProfile(nickname, avatarUrl);
        if (!Conversations.isValidClientId(cmid)) {
            throw new InvalidRequestException("cmid must be 1-64 characters of [A-Za-z0-9_.:-]");
        }
        if (TEXT.equals(kind)) {
            if (body == null || body.isEmpty() || body.codePointCount(0, body.length()) > maxBodyLength) {
                throw new InvalidRequestException("body must be 1-" + maxBodyLength + " characters");
            }
            if (mediaId != null || duration != null) {
                throw new InvalidRequestException("a text message has no media or duration");
            }
        } else if (IMAGE.equals(kind) || AUDIO.equals(kind)) {
            if (mediaId == null || !MEDIA_ID.matcher(mediaId).matches()) {
                throw new InvalidRequestException("media must be 1-64 characters of [A-Za-z0-9_-]");
            }
            if (body != null) {
                throw new InvalidRequestException("an image or audio message has no body");
            }
            boolean audio = AUDIO.equals(kind);
            if (audio != (duration != null) || (audio && (duration < 1 || duration > ClientFrame.Send.MAX_AUDIO_MILLIS))) {
                throw new InvalidRequestException("audio needs a duration of 1-" + ClientFrame.Send.MAX_AUDIO_MILLIS
                        + " ms; images have none");
            }
        } else {
            throw new InvalidRequestException("kind must be text, image or audio");
        }
        return new NewMessage(conv, new UserRef(fromId, nickname, avatarUrl), cmid, kind, body, mediaId, duration);
    }
}
