package io.wxim.history.message;

import io.wxim.protocol.ServerFrame;
import java.util.List;
import org.bson.types.ObjectId;
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
     * Marks file {@code mediaId} as waiting for a release decision before a recall of a message showing it takes
     * effect, so that whatever fails after the recall (a release refused for a claim not stored yet, MongoDB gone), the
     * orphan sweep looks again ({@link MessageService#releaseIfUnshown}) until it is decided. Emits the mark (unique to
     * each hold; several recalls may hold one file at once), or empty if there is no such file (or it is released).
     */
    default Mono<ObjectId> hold(String mediaId) {
        return Mono.empty();
    }

    /** Removes the marks {@code marks} of file {@code mediaId}: what they waited for was decided. */
    default Mono<Void> unhold(String mediaId, List<ObjectId> marks) {
        return Mono.empty();
    }

    /** What names a message's claim of its file: the message's conversation, sender and cmid (a retry claims alike). */
    static String claimKey(String conv, String from, String cmid) {
        return conv + "\n" + from + "\n" + cmid;
    }
}
