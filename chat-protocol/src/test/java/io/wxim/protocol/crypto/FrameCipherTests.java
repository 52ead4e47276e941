package io.wxim.protocol.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FrameCipherTests {
    /** Known-answer vector, computed independently with Python's {@code cryptography} (OpenSSL) AESGCM. */
    static final byte[] KAT_KEY = HexFormat.of().parseHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    static final byte[] KAT_NONCE = HexFormat.of().parseHex("cafebabefacedbaddecaf888");
    static final String KAT_PLAINTEXT = "{\"type\":\"send\",\"cmid\":\"c-1\",\"conv\":\"r:lobby\",\"body\":\"h\u00e9llo \uD83D\uDC4B\"}";
    static final String KAT_FRAME = "{\"type\":\"sec\",\"c\":1,\"n\":\"yv66vvrO263eyviI\",\"d\":\"8YHUX9ofbSFkeDizHz+lHW5NqTX9I0gX"
            + "Y+4mXZzqCpHbcvtks+4lDUQ5UUoeoUIKPS2La4HiS3lP/h4cTnsmyUP/kCrJkQiPpvBq1O51jEHIDA==\"}";

    private static final Pattern FRAME = Pattern.compile(
            "\\{\"type\":\"sec\",\"c\":(\\d+),\"n\":\"([A-Za-z0-9+/=]+)\",\"d\":\"([A-Za-z0-9+/=]+)\"}");

    private static byte[] key() {
        byte[] key = new byte[32];
        new java.security.SecureRandom().nextBytes(key);
        return key;
    }

    private static void assertRejected(ThrowingCallable call) {
        assertThatThrownBy(call).isExactlyInstanceOf(SecureChannelException.class)
                .hasMessage("invalid secure frame").hasNoCause();
    }

    private record Parts(long counter, byte[] nonce, byte[] data) {
        static Parts of(String frame) {
            Matcher m = FRAME.matcher(frame);
            assertThat(m.matches()).as("frame format: %s", frame).isTrue();
            return new Parts(Long.parseLong(m.group(1)), Base64.getDecoder().decode(m.group(2)),
                    Base64.getDecoder().decode(m.group(3)));
        }

        String json() {
            return "{\"type\":\"sec\",\"c\":" + counter + ",\"n\":\"" + Base64.getEncoder().encodeToString(nonce)
                    + "\",\"d\":\"" + Base64.getEncoder().encodeToString(data) + "\"}";
        }
    }

    @Test
    void roundTrip_clientToServer_andServerToClient_withCountersFrom1() {
        byte[] key = key();
        FrameCipher client = FrameCipher.forClient(key);
        FrameCipher server = FrameCipher.forServer(key);
        for (int i = 1; i <= 3; i++) {
            String up = client.seal("{\"type\":\"ping\",\"i\":" + i + "}");
            assertThat(Parts.of(up).counter()).isEqualTo(i);
            assertThat(Parts.of(up).nonce()).hasSize(12);
            assertThat(server.open(up)).isEqualTo("{\"type\":\"ping\",\"i\":" + i + "}");
            String down = server.seal("{\"type\":\"pong\",\"body\":\"\u00e9\u4e2d\uD83D\uDE00\"," + i + "}");
            assertThat(Parts.of(down).counter()).isEqualTo(i);
            assertThat(client.open(down)).isEqualTo("{\"type\":\"pong\",\"body\":\"\u00e9\u4e2d\uD83D\uDE00\"," + i + "}");
        }
        assertThat(server.open(client.seal(""))).isEmpty();
    }

    @Test
    void sealedFramesUseFreshNonces() {
        FrameCipher client = FrameCipher.forClient(key());
        String a = client.seal("same");
        String b = client.seal("same");
        assertThat(Parts.of(a).nonce()).isNotEqualTo(Parts.of(b).nonce());
        assertThat(Parts.of(a).data()).isNotEqualTo(Parts.of(b).data());
    }

    @Test
    void knownAnswer_fixedKeyAndNonce() {
        String frame = FrameCipher.forClient(KAT_KEY).sealWithNonce(KAT_PLAINTEXT, KAT_NONCE);
        assertThat(frame).isEqualTo(KAT_FRAME);
        assertThat(Parts.of(frame).data()).hasSize(KAT_PLAINTEXT.getBytes(StandardCharsets.UTF_8).length + 16);
        assertThat(FrameCipher.forServer(KAT_KEY).open(KAT_FRAME)).isEqualTo(KAT_PLAINTEXT);
        assertThat(FrameCipher.aad("c2s", 1)).isEqualTo("c2s|1".getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void everySingleBitFlipOfNonceCiphertextTagAndCounter_isRejected() {
        byte[] key = key();
        String frame = FrameCipher.forClient(key).seal("{\"type\":\"send\",\"body\":\"hello\"}");
        FrameCipher server = FrameCipher.forServer(key);
        Parts parts = Parts.of(frame);
        int tried = 0;
        for (int bit = 0; bit < parts.nonce().length * 8; bit++) {
            byte[] nonce = parts.nonce().clone();
            nonce[bit / 8] ^= (byte) (1 << (bit % 8));
            String tampered = new Parts(parts.counter(), nonce, parts.data()).json();
            assertRejected(() -> server.open(tampered));
            tried++;
        }
        for (int bit = 0; bit < parts.data().length * 8; bit++) { // ciphertext and the 16-byte tag
            byte[] data = parts.data().clone();
            data[bit / 8] ^= (byte) (1 << (bit % 8));
            String tampered = new Parts(parts.counter(), parts.nonce(), data).json();
            assertRejected(() -> server.open(tampered));
            tried++;
        }
        for (int bit = 0; bit < 63; bit++) {
            String tampered = new Parts(parts.counter() ^ (1L << bit), parts.nonce(), parts.data()).json();
            assertRejected(() -> server.open(tampered));
            tried++;
        }
        assertThat(tried).isEqualTo(96 + ("{\"type\":\"send\",\"body\":\"hello\"}".length() + 16) * 8 + 63);
        // Failures neither poison the channel nor move the counter: the genuine frame still opens.
        assertThat(server.open(frame)).isEqualTo("{\"type\":\"send\",\"body\":\"hello\"}");
    }

    @Test
    void aFrameWithAValidTagButAHigherForgedCounter_cannotAdvanceTheReceiver() {
        byte[] key = key();
        FrameCipher client = FrameCipher.forClient(key);
        FrameCipher server = FrameCipher.forServer(key);
        String first = client.seal("1");
        Parts p = Parts.of(first);
        assertRejected(() -> server.open(new Parts(1000, p.nonce(), p.data()).json()));
        assertThat(server.open(first)).isEqualTo("1");
    }

    @Test
    void replay_isRejected() {
        byte[] key = key();
        String frame = FrameCipher.forClient(key).seal("once");
        FrameCipher server = FrameCipher.forServer(key);
        assertThat(server.open(frame)).isEqualTo("once");
        assertRejected(() -> server.open(frame));
    }

    @Test
    void reordering_isRejected_butGapsAreAllowed() {
        byte[] key = key();
        FrameCipher client = FrameCipher.forClient(key);
        FrameCipher server = FrameCipher.forServer(key);
        String f1 = client.seal("1");
        String f2 = client.seal("2");
        String f3 = client.seal("3");
        String f4 = client.seal("4");
        assertThat(server.open(f2)).isEqualTo("2");
        assertRejected(() -> server.open(f1));
        assertThat(server.open(f4)).isEqualTo("4"); // f3 lost: allowed
        assertRejected(() -> server.open(f3));
    }

    @Test
    void reflection_isRejected_inBothDirections() {
        byte[] key = key();
        FrameCipher client = FrameCipher.forClient(key);
        FrameCipher server = FrameCipher.forServer(key);
        String up = client.seal("{\"type\":\"ping\"}");
        String down = server.seal("{\"type\":\"pong\"}");
        assertRejected(() -> client.open(up)); // a c2s frame opened as s2c
        assertRejected(() -> server.open(down)); // an s2c frame opened as c2s
        assertThat(server.open(up)).isEqualTo("{\"type\":\"ping\"}");
        assertThat(client.open(down)).isEqualTo("{\"type\":\"pong\"}");
    }

    @Test
    void aDifferentKey_isRejected() {
        String frame = FrameCipher.forClient(key()).seal("x");
        assertRejected(() -> FrameCipher.forServer(key()).open(frame));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "",
            "not json",
            "null",
            "[]",
            "{}",
            "\"sec\"",
            "{\"type\":\"sec\",\"c\":1,\"n\":\"yv66vvrO263eyviI\"}",
            "{\"type\":\"sec\",\"c\":1,\"n\":\"yv66vvrO263eyviI\",\"d\":\"DATA\",\"x\":1}",
            "{\"type\":\"msg\",\"c\":1,\"n\":\"yv66vvrO263eyviI\",\"d\":\"DATA\"}",
            "{\"type\":\"sec\",\"c\":\"1\",\"n\":\"yv66vvrO263eyviI\",\"d\":\"DATA\"}",
            "{\"type\":\"sec\",\"c\":1.0,\"n\":\"yv66vvrO263eyviI\",\"d\":\"DATA\"}",
            "{\"type\":\"sec\",\"c\":1e0,\"n\":\"yv66vvrO263eyviI\",\"d\":\"DATA\"}",
            "{\"type\":\"sec\",\"c\":0,\"n\":\"yv66vvrO263eyviI\",\"d\":\"DATA\"}",
            "{\"type\":\"sec\",\"c\":-1,\"n\":\"yv66vvrO263eyviI\",\"d\":\"DATA\"}",
            "{\"type\":\"sec\",\"c\":01,\"n\":\"yv66vvrO263eyviI\",\"d\":\"DATA\"}",
            "{\"type\":\"sec\",\"c\":null,\"n\":\"yv66vvrO263eyviI\",\"d\":\"DATA\"}",
            "{\"type\":\"sec\",\"c\":2147483649,\"n\":\"yv66vvrO263eyviI\",\"d\":\"DATA\"}",
            "{\"type\":\"sec\",\"c\":9223372036854775808,\"n\":\"yv66vvrO263eyviI\",\"d\":\"DATA\"}",
            "{\"type\":\"sec\",\"c\":123456789012345678901234567890,\"n\":\"yv66vvrO263eyviI\",\"d\":\"DATA\"}",
            "{\"type\":\"sec\",\"c\":1,\"n\":\"yv66vvrO263e\",\"d\":\"DATA\"}",
            "{\"type\":\"sec\",\"c\":1,\"n\":\"yv66vvrO263eyviIAAAA\",\"d\":\"DATA\"}",
            "{\"type\":\"sec\",\"c\":1,\"n\":\"yv66vvrO263eyvi!\",\"d\":\"DATA\"}",
            "{\"type\":\"sec\",\"c\":1,\"n\":\"yv66vvrO 263eyviI\",\"d\":\"DATA\"}",
            "{\"type\":\"sec\",\"c\":1,\"n\":\"yv66vvrO263eyviI\",\"d\":\"AAAA\"}",
            "{\"type\":\"sec\",\"c\":1,\"n\":\"yv66vvrO263eyviI\",\"d\":\"\"}",
            "{\"type\":\"sec\",\"c\":1,\"n\":1,\"d\":\"DATA\"}",
            "{\"type\":\"sec\",\"c\":1,\"n\":\"yv66vvrO263eyviI\",\"d\":[\"DATA\"]}",
            "{\"type\":\"sec\",\"c\":1,\"c\":1,\"n\":\"yv66vvrO263eyviI\",\"d\":\"DATA\"}",
            "{\"type\":\"sec\",\"c\":1,\"n\":\"yv66vvrO263eyviI\",\"d\":\"DATA\"} {}",
            "{\"type\":\"sec\",\"c\":1,\"n\":\"yv66vvrO263eyviI\",\"d\":\"DATA\"",
    })
    void malformedFrames_areRejectedWithTheSameMessage(String template) {
        // DATA is the KAT's genuine ciphertext, so only the mutation under test can make the frame invalid.
        String d = Parts.of(KAT_FRAME).json().replaceAll(".*\"d\":\"([^\"]+)\".*", "$1");
        String frame = template.replace("DATA", d);
        assertRejected(() -> FrameCipher.forServer(KAT_KEY).open(frame));
    }

    @Test
    void malformedTemplates_areValidWhenUnmutated() {
        String d = Parts.of(KAT_FRAME).json().replaceAll(".*\"d\":\"([^\"]+)\".*", "$1");
        String frame = "{\"type\":\"sec\",\"c\":1,\"n\":\"yv66vvrO263eyviI\",\"d\":\"DATA\"}".replace("DATA", d);
        assertThat(FrameCipher.forServer(KAT_KEY).open(frame)).isEqualTo(KAT_PLAINTEXT);
        // Field order and whitespace are not significant; only the values are authenticated.
        String reordered = " { \"d\" : \"" + d + "\", \"n\":\"yv66vvrO263eyviI\", \"c\":1, \"type\":\"sec\" } ";
        assertThat(FrameCipher.forServer(KAT_KEY).open(reordered)).isEqualTo(KAT_PLAINTEXT);
    }

    @Test
    void nonCanonicalBase64_isRejected() {
        Parts p = Parts.of(KAT_FRAME);
        String d = Base64.getEncoder().encodeToString(p.data());
        assertThat(d).endsWith("=="); // 47 bytes: the last char carries 4 unused bits
        char last = d.charAt(d.length() - 3);
        char sibling = (char) (last + 1); // same 2 significant bits, different unused bits
        String nonCanonical = d.substring(0, d.length() - 3) + sibling + "==";
        assertThat(Base64.getDecoder().decode(nonCanonical)).isEqualTo(p.data());
        assertRejected(() -> FrameCipher.forServer(KAT_KEY).open(KAT_FRAME.replace(d, nonCanonical)));
        String unpadded = d.substring(0, d.length() - 2);
        assertRejected(() -> FrameCipher.forServer(KAT_KEY).open(KAT_FRAME.replace(d, unpadded)));
    }

    @Test
    void invalidUtf8UnderAValidTag_isRejected() {
        byte[] key = key();
        String frame = FrameCipher.sealFrame(new SecretKeySpec(key, "AES"), "c2s", 1, new byte[12], new byte[] {(byte) 0xff});
        assertRejected(() -> FrameCipher.forServer(key).open(frame));
    }

    @Test
    void countersNeverWrap_openRejectsAboveTheMaximum_sealStopsAtIt() {
        byte[] key = key();
        SecretKey secret = new SecretKeySpec(key, "AES");
        FrameCipher server = FrameCipher.forServer(key);
        String beyond = FrameCipher.sealFrame(secret, "c2s", FrameCipher.MAX_COUNTER + 1, new byte[12], "x".getBytes());
        assertRejected(() -> server.open(beyond));
        String atMax = FrameCipher.sealFrame(secret, "c2s", FrameCipher.MAX_COUNTER, new byte[12], "x".getBytes());
        assertThat(server.open(atMax)).isEqualTo("x");

        FrameCipher nearlyExhausted = new FrameCipher(key, "c2s", "s2c", FrameCipher.MAX_COUNTER, 0);
        assertThat(Parts.of(nearlyExhausted.seal("last")).counter()).isEqualTo(FrameCipher.MAX_COUNTER);
        assertRejected(() -> nearlyExhausted.seal("one too many"));
        assertRejected(() -> nearlyExhausted.seal("still exhausted"));
        assertThat(FrameCipher.MAX_COUNTER).isLessThanOrEqualTo(9007199254740991L); // exact as a JS number
    }

    @Test
    void rejectsKeysThatAreNot32Bytes() {
        assertThatThrownBy(() -> FrameCipher.forServer(new byte[16])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FrameCipher.forClient(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void concurrentSealsGetDistinctIncreasingCounters_whileOpeningRunsOnAnotherThread() throws Exception {
        byte[] key = key();
        FrameCipher client = FrameCipher.forClient(key);
        FrameCipher server = FrameCipher.forServer(key);
        int threads = 4;
        int perThread = 250;
        ConcurrentLinkedQueue<String> sealed = new ConcurrentLinkedQueue<>();
        ExecutorService pool = Executors.newFixedThreadPool(threads + 1);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                futures.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < perThread; i++) {
                        sealed.add(client.seal("m"));
                    }
                    return null;
                }));
            }
            // Meanwhile the server seals and the client opens the other direction.
            futures.add(pool.submit(() -> {
                start.await();
                for (int i = 0; i < perThread; i++) {
                    assertThat(client.open(server.seal("down" + i))).isEqualTo("down" + i);
                }
                return null;
            }));
            start.countDown();
            for (Future<?> f : futures) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        List<String> byCounter = new ArrayList<>(sealed);
        byCounter.sort((a, b) -> Long.compare(Parts.of(a).counter(), Parts.of(b).counter()));
        for (int i = 0; i < byCounter.size(); i++) {
            assertThat(Parts.of(byCounter.get(i)).counter()).isEqualTo(i + 1);
            assertThat(server.open(byCounter.get(i))).isEqualTo("m");
        }
        assertThat(byCounter).hasSize(threads * perThread);
    }
}
