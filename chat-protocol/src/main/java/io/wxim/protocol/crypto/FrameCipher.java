package io.wxim.protocol.crypto;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Set;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * AES-256-GCM encryption of the WebSocket frames of one connection, in both directions, with one session key.
 *
 * <p>Wire format of a sealed frame (exactly these four fields, in this order when sealed):
 * <pre>{"type":"sec","c":&lt;counter&gt;,"n":"&lt;base64 12-byte nonce&gt;","d":"&lt;base64 ciphertext + 16-byte tag&gt;"}</pre>
 * Base64 is RFC 4648 with padding; only the canonical encoding is accepted. The nonce is random per frame. The
 * additional authenticated data is the ASCII text {@code <direction>|<counter>}, e.g. {@code c2s|1}, so a frame cannot
 * be reflected to the other direction nor have its counter changed. Counters start at 1 per direction, grow by one per
 * sealed frame and never wrap: after {@value #MAX_COUNTER} frames in one direction the channel refuses to seal (and
 * open rejects larger counters), which also keeps the key under NIST SP 800-38D's 2^32 random-nonce budget. The
 * client must then reconnect with a new key.
 *
 * <p>{@link #open} accepts a frame only if its counter is strictly greater than the last accepted one (replays and
 * reordering are rejected; gaps are allowed) and its tag verifies; the last counter moves only after the tag verified,
 * so a forged frame cannot push it. Every failure is {@code SecureChannelException("invalid secure frame")}; the caller
 * should close the connection (the cipher itself stays usable).
 *
 * <p>Thread-safety: {@link #seal} and {@link #open} may run concurrently on different threads (one lock per direction).
 * Concurrent seals are serialized and get distinct, increasing counters in the order they take the lock, so the caller
 * must transmit sealed frames in the order {@code seal} returned them (seal inside the single outbound pipeline, not
 * before a reordering queue). Concurrent opens are serialized; check-tag-and-advance is atomic.
 */
public final class FrameCipher {
    /** The only message of any seal/open failure. */
    public static final String FAILURE = "invalid secure frame";
    public static final String CLIENT_TO_SERVER = "c2s";
    public static final String SERVER_TO_CLIENT = "s2c";
    /** Largest counter of a direction (2^31): safe as a JS number and, over both directions, 2^32 GCM nonces per key. */
    public static final long MAX_COUNTER = 1L << 31;
    /** Largest plaintext accepted by {@link #seal} (UTF-8 bytes). */
    public static final int MAX_PLAINTEXT_BYTES = 1 << 20;

    static final int KEY_BYTES = 32;
    static final int NONCE_BYTES = 12;
    static final int TAG_BITS = 128;
    private static final int TAG_BYTES = TAG_BITS / 8;
    private static final int MAX_DATA_CHARS = 4 * ((MAX_PLAINTEXT_BYTES + TAG_BYTES + 2) / 3);
    private static final int MAX_FRAME_CHARS = MAX_DATA_CHARS + 128;
    private static final Set<String> FIELDS = Set.of("type", "c", "n", "d");

    private static final JsonMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder()
                            .maxNestingDepth(2)
                            .maxStringLength(MAX_DATA_CHARS)
                            .maxNumberLength(19)
                            .build())
                    .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                    .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SecretKey key;
    private final String sendLabel;
    private final String receiveLabel;
    private final Object sendLock = new Object();
    private final Object receiveLock = new Object();
    /** Guarded by sendLock: the counter of the next sealed frame. */
    private long nextSendCounter;
    /** Guarded by receiveLock: the counter of the last accepted frame, 0 before the first. */
    private long lastReceivedCounter;

    FrameCipher(byte[] key, String sendLabel, String receiveLabel, long nextSendCounter, long lastReceivedCounter) {
        if (key == null || key.length != KEY_BYTES) {
            throw new IllegalArgumentException("key must be " + KEY_BYTES + " bytes");
        }
        this.key = new SecretKeySpec(key, "AES");
        this.sendLabel = sendLabel;
        this.receiveLabel = receiveLabel;
        this.nextSendCounter = nextSendCounter;
        this.lastReceivedCounter = lastReceivedCounter;
    }

    /** The server end: seals {@code s2c}, opens {@code c2s}. The key array is copied. */
    public static FrameCipher forServer(byte[] key) {
        return new FrameCipher(key, SERVER_TO_CLIENT, CLIENT_TO_SERVER, 1, 0);
    }

    /** The client end (SDKs in Java, tests): seals {@code c2s}, opens {@code s2c}. The key array is copied. */
    public static FrameCipher forClient(byte[] key) {
        return new FrameCipher(key, CLIENT_TO_SERVER, SERVER_TO_CLIENT, 1, 0);
    }

    /** Encrypts a plaintext (usually a JSON frame) into a sealed frame with the next counter of the sending direction. */
    public String seal(String plaintextJson) {
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        return sealWithNonce(plaintextJson, nonce);
    }

    /** Tests only (known-answer vectors): {@link #seal} with a given nonce. Never reuse a nonce with the same key. */
    String sealWithNonce(String plaintextJson, byte[] nonce) {
        if (plaintextJson == null) {
            throw new IllegalArgumentException("no plaintext");
        }
        byte[] plaintext = plaintextJson.getBytes(StandardCharsets.UTF_8);
        if (plaintext.length > MAX_PLAINTEXT_BYTES) {
            throw new IllegalArgumentException("plaintext larger than " + MAX_PLAINTEXT_BYTES + " bytes");
        }
        synchronized (sendLock) {
            long counter = nextSendCounter;
            if (counter < 1 || counter > MAX_COUNTER) {
                throw new SecureChannelException(FAILURE); // exhausted: never wrap, the client must rekey
            }
            String frame = sealFrame(key, sendLabel, counter, nonce, plaintext);
            nextSendCounter = counter + 1;
            return frame;
        }
    }

    /** Verifies and decrypts a sealed frame of the receiving direction; returns the plaintext. */
    public String open(String frameJson) {
        if (frameJson == null || frameJson.length() > MAX_FRAME_CHARS) {
            throw fail();
        }
        Parsed frame = parse(frameJson);
        synchronized (receiveLock) {
            if (frame.counter <= lastReceivedCounter) {
                throw fail(); // replay or reordering
            }
            byte[] plaintext;
            try {
                Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
                cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, frame.nonce));
                cipher.updateAAD(aad(receiveLabel, frame.counter));
                plaintext = cipher.doFinal(frame.data);
            } catch (GeneralSecurityException | RuntimeException e) {
                throw fail();
            }
            String text = decodeUtf8(plaintext);
            lastReceivedCounter = frame.counter;
            return text;
        }
    }

    /** The seal primitive, stateless: tests use it to craft frames with any direction, counter and nonce. */
    static String sealFrame(SecretKey key, String label, long counter, byte[] nonce, byte[] plaintext) {
        if (nonce == null || nonce.length != NONCE_BYTES) {
            throw new IllegalArgumentException("nonce must be " + NONCE_BYTES + " bytes");
        }
        byte[] data;
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(aad(label, counter));
            data = cipher.doFinal(plaintext);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is unavailable", e);
        }
        Base64.Encoder b64 = Base64.getEncoder();
        return "{\"type\":\"sec\",\"c\":" + counter + ",\"n\":\"" + b64.encodeToString(nonce)
                + "\",\"d\":\"" + b64.encodeToString(data) + "\"}";
    }

    static byte[] aad(String label, long counter) {
        return (label + "|" + counter).getBytes(StandardCharsets.US_ASCII);
    }

    private record Parsed(long counter, byte[] nonce, byte[] data) {
    }

    private static Parsed parse(String json) {
        JsonNode tree;
        try {
            tree = MAPPER.readTree(json);
        } catch (RuntimeException e) { // JacksonException and anything else
            throw fail();
        }
        if (tree == null || !tree.isObject() || tree.size() != FIELDS.size() || !FIELDS.containsAll(tree.propertyNames())) {
            throw fail();
        }
        JsonNode type = tree.get("type");
        JsonNode c = tree.get("c");
        JsonNode n = tree.get("n");
        JsonNode d = tree.get("d");
        if (!type.isString() || !"sec".equals(type.stringValue())
                || !c.isIntegralNumber() || !c.canConvertToLong() || !n.isString() || !d.isString()) {
            throw fail();
        }
        long counter = c.longValue();
        if (counter < 1 || counter > MAX_COUNTER) {
            throw fail();
        }
        byte[] nonce = canonicalBase64(n.stringValue());
        byte[] data = canonicalBase64(d.stringValue());
        if (nonce.length != NONCE_BYTES || data.length < TAG_BYTES) {
            throw fail();
        }
        return new Parsed(counter, nonce, data);
    }

    /** Strict RFC 4648 base64 with padding; rejects non-canonical encodings (unused bits set, missing padding). */
    private static byte[] canonicalBase64(String text) {
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw fail();
        }
        if (!Base64.getEncoder().encodeToString(bytes).equals(text)) {
            throw fail();
        }
        return bytes;
    }

    private static String decodeUtf8(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw fail();
        }
    }

    private static SecureChannelException fail() {
        return new SecureChannelException(FAILURE);
    }
}
