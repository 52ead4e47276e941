package io.wxim.history.message;

import io.wxim.protocol.ServerFrame;
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
     * Deletes the file {@code mediaId} (its record and its bytes): the last message that showed it was recalled.
     * Signed links already handed out answer 404 from then on. Idempotent.
     */
    default Mono<Void> release(String mediaId) {
        return Mono.empty();
    }
}
