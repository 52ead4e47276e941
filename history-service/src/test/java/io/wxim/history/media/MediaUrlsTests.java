package io.wxim.history.media;

import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.protocol.ServerFrame;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MediaUrlsTests {
    private static final Instant NOW = Instant.parse("2026-12-03T10:00:07Z");
    private final byte[] key = "0123456789abcdef0123456789abcdef".getBytes();
    private final MediaUrls urls = new MediaUrls(key, Duration.ofHours(1), Clock.fixed(NOW, ZoneOffset.UTC));

    private static final ServerFrame.Media IMAGE = new ServerFrame.Media("m1", "image/png", 10, 4, 3, null, null, null, null);

    @Test
    void signsFileAndThumbnailUrls_thatVerifyUntilTheyExpire() {
        ServerFrame.Media signed = urls.present(IMAGE);
        Map<String, String> file = query(signed.url());
        Map<String, String> thumb = query(signed.thumbUrl());

        assertThat(signed.url()).startsWith("/api/media/m1?exp=");
        assertThat(thumb).containsEntry("v", "thumb");
        assertThat(urls.verify("m1", MediaUrls.FILE, Long.parseLong(file.get("exp")), file.get("sig"))).isTrue();
        assertThat(urls.verify("m1", MediaUrls.THUMB, Long.parseLong(thumb.get("exp")), thumb.get("sig"))).isTrue();
        // at least the TTL, rounded up to a fifth of it (12 minutes)
        long exp = Long.parseLong(file.get("exp"));
        assertThat(exp).isGreaterThanOrEqualTo(NOW.plus(Duration.ofHours(1)).getEpochSecond()).isEqualTo(exp / 720 * 720);
        assertThat(signed.expiresAt()).isEqualTo(exp * 1000);

        MediaUrls later = new MediaUrls(key, Duration.ofHours(1), Clock.fixed(Instant.ofEpochSecond(exp), ZoneOffset.UTC));
        assertThat(later.verify("m1", MediaUrls.FILE, exp, file.get("sig"))).isFalse();
    }

    @Test
    void refusesAnyChangedPart() {
        Map<String, String> file = query(urls.present(IMAGE).url());
        long exp = Long.parseLong(file.get("exp"));
        String sig = file.get("sig");

        assertThat(urls.verify("m2", MediaUrls.FILE, exp, sig)).isFalse();
        assertThat(urls.verify("m1", MediaUrls.THUMB, exp, sig)).isFalse();
        assertThat(urls.verify("m1", MediaUrls.FILE, exp + 720, sig)).isFalse();
        assertThat(urls.verify("m1", MediaUrls.FILE, exp, sig.substring(1) + "A")).isFalse();
        assertThat(urls.verify("m1", MediaUrls.FILE, exp, null)).isFalse();
        MediaUrls otherKey = new MediaUrls("fedcba9876543210fedcba9876543210".getBytes(), Duration.ofHours(1),
                Clock.fixed(NOW, ZoneOffset.UTC));
        assertThat(otherKey.verify("m1", MediaUrls.FILE, exp, sig)).isFalse();
    }

    @Test
    void audioHasNoThumbnail() {
        ServerFrame.Media audio = urls.present(new ServerFrame.Media("a1", "audio/mpeg", 10, null, null, 1500, null, null, null));
        assertThat(audio.thumbUrl()).isNull();
        assertThat(audio.duration()).isEqualTo(1500);
    }

    private static Map<String, String> query(String url) {
        Map<String, String> params = new HashMap<>();
        for (String pair : URI.create("http://x" + url).getRawQuery().split("&")) {
            String[] kv = pair.split("=", 2);
            params.put(kv[0], kv[1]);
        }
        return params;
    }
}
