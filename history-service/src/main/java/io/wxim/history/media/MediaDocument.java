package io.wxim.history.media;

import java.time.Instant;
import java.util.List;
import org.bson.types.ObjectId;
import org.springframework.data.annotation.Id;

/**
 * An upload in {@code im_history.media}: who uploaded it, what it is (decided from its content), where its bytes are
 * (a GridFS file), its thumbnail (images; a small JPEG kept inline) and the conversations it was sent to. {@code used}
 * turns true at the first message; uploads never used are deleted after the orphan TTL.
 */
record MediaDocument(@Id String id, String owner, String kind, String contentType, long size, Integer width,
                     Integer height, ObjectId fileId, byte[] thumbnail, boolean used, List<String> usedIn,
                     Instant createdAt) {
    static final String COLLECTION = "media";

    MediaKind mediaKind() {
        return MediaKind.IMAGE.wire().equals(kind) ? MediaKind.IMAGE : MediaKind.AUDIO;
    }

    @Override
    public String toString() {
        return "MediaDocument[id=" + id + ", owner=" + owner + ", kind=" + kind + ", size=" + size + "]";
    }
}
