package io.wxim.history.media;

import io.wxim.history.message.MessagePage;
import io.wxim.history.message.StoredMessage;
import io.wxim.protocol.ServerFrame;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signed, short-lived download URLs, so that {@code <image src>} and audio players (which cannot send headers) fetch
 * files without a token: {@code /api/media/{id}?exp=<epoch s>&sig=<HMAC>} and, for the thumbnail,
 * {@code /api/media/{id}?v=thumb&exp=..&sig=..}. The signature is HMAC-SHA256 over the id, the variant and the expiry,
 * base64url; verification is constant-time. Expiry times are rounded up to a fifth of the TTL, so a file shown
 * repeatedly gets the same URL for a while and browser caches hit. URLs go only to users allowed to see the file:
 * members of a conversation it was sent to (in messages, or on request) and its uploader.
 */
public final class MediaUrls {
    static final String THUMB = "thumb";
    static final String FILE = "file";

    private final SecretKeySpec key;
    private final Duration ttl;
    private final Clock clock;

    MediaUrls(byte[] key, Duration ttl, Clock clock) {
        if (key.length < 32) {
            throw new IllegalArgumentException("media URL key must have at least 32 bytes");
        }
        this.key = new SecretKeySpec(key, "HmacSHA256");
        this.ttl = ttl;
        this.clock = clock;
    }

    /** The media with fresh signed URLs ({@code thumbUrl} for images only). */
    public ServerFrame.Media present(ServerFrame.Media media) {
        long exp = expiry();
        String thumb = media.width() == null ? null : url(media.id(), THUMB, exp);
        return new ServerFrame.Media(media.id(), media.contentType(), media.size(), media.width(), media.height(),
                media.duration(), url(media.id(), FILE, exp), thumb, exp * 1000);
    }

    public ServerFrame.Message present(ServerFrame.Message m) {
        return m.media() == null ? m : new ServerFrame.Message(m.conv(), m.seq(), m.id(), m.from(), m.cmid(), m.kind(),
                m.body(), m.ts(), m.recalled(), present(m.media()));
    }

    public StoredMessage present(StoredMessage m) {
        return m.media() == null ? m : m.withMedia(present(m.media()));
    }

    public MessagePage present(MessagePage page) {
        return new MessagePage(page.conv(), page.messages().stream().map(this::present).toList(), page.more());
    }

    /** Whether {@code sig} signs this id, variant and expiry, and the expiry has not passed. */
    boolean verify(String id, String variant, long exp, String sig) {
        if (sig == null || exp * 1000 <= clock.millis()) {
            return false;
        }
        return MessageDigest.isEqual(sign(id, variant, exp).getBytes(StandardCharsets.US_ASCII),
                sig.getBytes(StandardCharsets.US_ASCII));
    }

    long expiry() {
        long bucket = Math.max(1, ttl.toSeconds() / 5);
        long earliest = clock.millis() / 1000 + ttl.toSeconds();
        return ((earliest + bucket - 1) / bucket) * bucket;
    }

    private String url(String id, String variant, long exp) {
        String base = "/api/media/" + id + "?";
        return base + (THUMB.equals(variant) ? "v=thumb&" : "") + "exp=" + exp + "&sig=" + sign(id, variant, exp);
    }

    private String sign(String id, String variant, long exp) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            byte[] digest = mac.doFinal(("media|" + id + "|" + variant + "|" + exp).getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 unavailable", e);
        }
    }
}
