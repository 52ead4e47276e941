package io.wxim.history.message;

import io.wxim.protocol.ServerFrame;
import java.util.List;
import reactor.core.publisher.Mono;

/**
 * Checks the file of an image or audio message before it is stored: it exists, the sender uploaded it, and its kind
 * matches the message; records the conversation as one where the file was sent (which lets its members fetch it).
 * Answers what the message keeps of the file, or fails with {@link MediaNotFoundException} or
 * {@link InvalidRequestException}. Must be idempotent (a retried store claims again).
 */
@FunctionalInterface
public interface MediaClaims {
    /** No media store: every media message is refused as unknown media. */
    MediaClaims NONE = message -> Mono.error(new MediaNotFoundException());

    Mono<ServerFrame.Media> claim(NewMessage message);

    /**
     * The messages that claimed a file ({@link #claimKey}s; none for a file claimed only before claims were recorded)
     * and when the latest claim was made (epoch ms; 0 when not recorded).
     */
    record Claims(List<String> keys, long lastClaimAt) {
    }

    /** The claims of file {@code mediaId}, or empty if there is no such file (or it is being deleted). */
    default Mono<Claims> claimsOf(String mediaId) {
        return Mono.empty();
    }

    /**
     * Deletes the file {@code mediaId} (its record and its bytes): every message that showed it was recalled, and
     * {@code claims} is what {@link #claimsOf} answered when that was checked. Kept if a message claimed it since (its
     * store may still be in flight, so it is not yet seen as showing the file). Signed links already handed out answer
     * 404 from then on. Idempotent. Emits whether it was released (false: claimed since).
     */
    default Mono<Boolean> release(String mediaId, Claims claims) {
        return Mono.just(false);
    }

    /**
     * The file {@code mediaId} is shown by no message that is not recalled, but could not be released yet (a message
     * that claimed it is not stored: its store may still be in flight): the orphan sweep looks again
     * ({@link MessageService#releaseIfUnshown}) until it is released or shown again.
     */
    default Mono<Void> releaseLater(String mediaId) {
        return Mono.empty();
    }

    /** What names a message's claim of its file: the message's conversation, sender and cmid (a retry claims alike). */
    static String claimKey(String conv, String from, String cmid) {
        return conv + "\n" + from + "\n" + cmid;
    }
}
