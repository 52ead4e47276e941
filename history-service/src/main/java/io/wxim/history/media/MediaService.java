package io.wxim.history.media;

import io.wxim.history.membership.ChatMembershipClient;
import io.wxim.history.message.InvalidRequestException;
import io.wxim.history.message.MediaClaims;
import io.wxim.history.message.MediaNotFoundException;
import io.wxim.history.message.MessageRepository;
import io.wxim.history.message.NewMessage;
import io.wxim.protocol.Conversations;
import io.wxim.protocol.ServerFrame;
import io.wxim.history.message.MediaClaims.Claims;
import java.time.Clock;
import java.util.List;
import org.bson.types.ObjectId;
import reactor.core.publisher.Mono;

/**
 * Who may use and see a file. Sending: only its uploader, in a message of its kind ({@link MediaClaims}); the
 * conversation is recorded on the file. Seeing: its uploader, and members of a conversation where a message that is
 * not recalled shows it (a recall there ends their access, though the file stays while another message shows it);
 * anyone else gets the same 404 as for a file that does not exist.
 */
class MediaService implements MediaClaims {
    private final MediaRepository repository;
    private final MessageRepository messages;
    private final MediaFiles files;
    private final MediaUrls urls;
    private final ChatMembershipClient membership;
    private final Clock clock;

    MediaService(MediaRepository repository, MessageRepository messages, MediaFiles files, MediaUrls urls,
                 ChatMembershipClient membership, Clock clock) {
        this.clock = clock;
        this.repository = repository;
        this.messages = messages;
        this.files = files;
        this.urls = urls;
        this.membership = membership;
    }

    @Override
    public Mono<ServerFrame.Media> claim(NewMessage message) {
        return repository.find(message.mediaId())
                .filter(doc -> doc.owner().equals(message.from().id()))
                .switchIfEmpty(Mono.error(MediaNotFoundException::new))
                .flatMap(doc -> {
                    if (!doc.kind().equals(message.kind())) {
                        return Mono.error(new InvalidRequestException("the media's kind does not match the message's kind"));
                    }
                    // conditional: a file released since the read above (its last message recalled) is not claimed
                    return repository.markUsed(doc.id(), message.conv(),
                                    MediaClaims.claimKey(message.conv(), message.from().id(), message.cmid()), clock.millis())
                            .flatMap(claimed -> claimed ? Mono.just(new ServerFrame.Media(doc.id(), doc.contentType(),
                                    doc.size(), doc.width(), doc.height(), message.duration(), null, null, null))
                                    : Mono.error(new MediaNotFoundException()));
                });
    }

    @Override
    public Mono<Claims> claimsOf(String mediaId) {
        return repository.claimsOf(mediaId);
    }

    /**
     * Marks the record released first, unless a message claimed it since {@code claims} were read: from then on the
     * file is not found (links answer 404, no fresh ones, no new message may claim it); then its bytes, then the
     * record. Each step bounded like every Mongo call; if one fails, the orphan sweep finishes the deletion of released
     * files.
     */
    @Override
    public Mono<Boolean> release(String mediaId, Claims claims) {
        return repository.markReleased(mediaId, claims)
                .flatMap(released -> released ? deleteReleased(mediaId).thenReturn(true) : Mono.just(false));
    }

    @Override
    public Mono<ObjectId> hold(String mediaId) {
        return repository.addHold(mediaId);
    }

    @Override
    public Mono<Void> unhold(String mediaId, List<ObjectId> marks) {
        return repository.removeHolds(new MediaRepository.Pending(mediaId, marks, null));
    }

    /**
     * The bytes, then the record of a file no message holds (idempotent): how the orphan sweep finishes a released one
     * and how a refused, failed or cancelled upload is undone.
     */
    Mono<Void> deleteReleased(String mediaId) {
        return repository.bounded(files.delete(mediaId)).then(repository.delete(mediaId));
    }

    /**
     * Fresh signed URLs for {@code userId}: the uploader, or a member of {@code conv} where a message that is not
     * recalled shows the file.
     */
    Mono<ServerFrame.Media> issue(String mediaId, String userId, String conv) {
        return repository.find(mediaId)
                .filterWhen(doc -> doc.owner().equals(userId) ? Mono.just(true) : shownToMember(doc, userId, conv))
                .switchIfEmpty(Mono.error(MediaRejectedException::notFound))
                .map(doc -> urls.present(new ServerFrame.Media(doc.id(), doc.contentType(), doc.size(), doc.width(),
                        doc.height(), null, null, null, null)));
    }

    /** Sent to {@code conv} ({@code usedIn}, no I/O), still shown there by a message not recalled, and a member. */
    private Mono<Boolean> shownToMember(MediaDocument doc, String userId, String conv) {
        if (conv == null || !Conversations.isValid(conv) || !doc.usedIn().contains(conv)) {
            return Mono.just(false);
        }
        return messages.mediaShownIn(conv, doc.id())
                .flatMap(shown -> shown ? membership.isMember(conv, userId) : Mono.just(false));
    }

    MediaUrls urls() {
        return urls;
    }
}
