package io.wxim.protocol.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.interfaces.RSAPrivateKey;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import io.wxim.testinfra.Processes;
import io.wxim.testinfra.Processes.Result;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Proves that the reference JS side ({@code clients/crypto-interop/interop.js}, in node-forge pure-JS mode and with
 * node:crypto) and the Java side agree, both ways. Needs {@code node} and {@code npm ci --prefix clients/crypto-interop};
 * without them these tests FAIL on purpose (never skip): the interop guarantee must not silently disappear.
 */
class JsInteropTests {
    private static final String SETUP = "run `npm ci --prefix clients/crypto-interop` in the repository root "
            + "(./run-tests.sh does it automatically when node_modules is missing)";
    private static final long TIMEOUT_SECONDS = 20;
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final SecureRandom RANDOM = new SecureRandom();

    private static Path interopDir;
    private static KeyPair serverKeys;

    @BeforeAll
    static void requireNodeAndDependencies() throws Exception {
        interopDir = findInteropDir();
        try {
            Result version = exec(new ProcessBuilder("node", "--version"), "");
            if (version.exit() != 0) {
                fail("`node --version` exited with " + version.exit() + ": " + version.stderr() + "; " + SETUP);
            }
        } catch (IOException e) {
            fail("`node` is not on the PATH (" + e.getMessage() + "): install Node.js 18+ with npm (Debian: "
                    + "apt-get install nodejs npm), then " + SETUP);
        }
        if (!Files.isRegularFile(interopDir.resolve("node_modules/node-forge/package.json"))) {
            fail(interopDir.resolve("node_modules") + " is missing (or lacks node-forge): " + SETUP);
        }
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        serverKeys = generator.generateKeyPair();
    }

    private static Path findInteropDir() {
        return Processes.findUp("clients/crypto-interop", "interop.js");
    }

    private static Result exec(ProcessBuilder builder, String stdin) throws IOException, InterruptedException {
        return Processes.run(builder.command(), builder.directory() == null ? Path.of("").toAbsolutePath() : builder.directory().toPath(),
                Map.of(), stdin, Duration.ofSeconds(TIMEOUT_SECONDS));
    }

    /** Runs {@code node interop.js <command>}; returns its JSON answer, which must come with the expected exit code. */
    private static JsonNode js(String command, int expectedExit, Map<String, Object> args) {
        try {
            ProcessBuilder builder = new ProcessBuilder("node", "interop.js", command).directory(interopDir.toFile());
            Result result = exec(builder, JSON.writeValueAsString(args));
            assertThat(result.exit()).as("exit of interop.js %s %s; stderr: %s", command, args, result.stderr())
                    .isEqualTo(expectedExit);
            return JSON.readTree(result.stdout());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, Object> args(Object... keyValues) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            map.put((String) keyValues[i], keyValues[i + 1]);
        }
        return map;
    }

    private static String b64(byte[] bytes) {
        return Base64.getEncoder().encodeToString(bytes);
    }

    private static byte[] randomKey() {
        byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        return key;
    }

    private static String publicKeyPem() {
        return "-----BEGIN PUBLIC KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(serverKeys.getPublic().getEncoded())
                + "\n-----END PUBLIC KEY-----\n";
    }

    @ParameterizedTest
    @ValueSource(strings = {"forge", "node"})
    void jsWrapsAKey_javaUnwrapsIt_fromPemAndFromDerSpki(String impl) {
        KeyWrap keyWrap = new KeyWrap((RSAPrivateKey) serverKeys.getPrivate());
        byte[] key = randomKey();
        String fromPem = js("wrap", 0, args("impl", impl, "publicKey", publicKeyPem(), "key", b64(key))).get("wrapped").asString();
        assertThat(keyWrap.unwrap(fromPem)).isEqualTo(key);
        String fromDer = js("wrap", 0, args("impl", impl, "publicKey", b64(serverKeys.getPublic().getEncoded()), "key", b64(key)))
                .get("wrapped").asString();
        assertThat(keyWrap.unwrap(fromDer)).isEqualTo(key);
        assertThat(fromDer).as("OAEP is randomized").isNotEqualTo(fromPem);
    }

    @ParameterizedTest
    @ValueSource(strings = {"forge", "node"})
    void jsSeals_javaOpens(String impl) {
        byte[] key = randomKey();
        FrameCipher server = FrameCipher.forServer(key);
        String plaintext = "{\"type\":\"send\",\"cmid\":\"c-1\",\"conv\":\"r:lobby\",\"body\":\"h\u00e9llo \u4e2d \uD83D\uDC4B \\\"q\\\"\"}";
        String first = js("seal", 0, args("impl", impl, "key", b64(key), "counter", 1, "plaintext", plaintext)).get("frame").asString();
        String second = js("seal", 0, args("impl", impl, "key", b64(key), "counter", 2, "plaintext", "{}")).get("frame").asString();
        assertThat(server.open(first)).isEqualTo(plaintext);
        assertThat(server.open(second)).isEqualTo("{}");
        String reflected = js("seal", 0, args("impl", impl, "key", b64(key), "counter", 3, "plaintext", "{}", "direction", "s2c"))
                .get("frame").asString();
        String tampered = second.replace("\"c\":2", "\"c\":3");
        for (String bad : new String[] {first, reflected, tampered}) {
            try {
                server.open(bad);
                fail("accepted " + bad);
            } catch (SecureChannelException e) {
                assertThat(e).hasMessage(FrameCipher.FAILURE);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"forge", "node"})
    void javaSeals_jsOpens_andRejectsReplayReflectionAndTampering(String impl) {
        byte[] key = randomKey();
        FrameCipher server = FrameCipher.forServer(key);
        String plaintext = "{\"type\":\"msg\",\"body\":\"h\u00e9llo \uD83D\uDC4B\"}";
        String first = server.seal(plaintext);
        String second = server.seal("{\"type\":\"pong\"}");
        JsonNode opened = js("open", 0, args("impl", impl, "key", b64(key), "frame", first, "lastCounter", 0));
        assertThat(opened.get("plaintext").asString()).isEqualTo(plaintext);
        assertThat(opened.get("counter").asLong()).isEqualTo(1);
        assertThat(js("open", 0, args("impl", impl, "key", b64(key), "frame", second, "lastCounter", 1))
                .get("plaintext").asString()).isEqualTo("{\"type\":\"pong\"}");

        String clientFrame = FrameCipher.forClient(key).seal("{}");
        String flipped = first.substring(0, first.length() - 4) + (first.charAt(first.length() - 4) == 'A' ? 'B' : 'A')
                + first.substring(first.length() - 3);
        for (Map<String, Object> bad : List.of(
                args("frame", first, "lastCounter", 1), // replay
                args("frame", clientFrame, "lastCounter", 0), // reflection: a c2s frame opened as s2c
                args("frame", flipped, "lastCounter", 0), // tag bits flipped
                args("frame", first.replace("\"c\":1", "\"c\":5"), "lastCounter", 0), // counter changed
                args("frame", "not json", "lastCounter", 0))) {
            bad.put("impl", impl);
            bad.put("key", b64(key));
            assertThat(js("open", 3, bad).get("error").asString()).as("JS open of %s", bad).isEqualTo(FrameCipher.FAILURE);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"forge", "node"})
    void knownAnswerVector_agreesByteForByte(String impl) {
        String javaFrame = FrameCipher.forClient(FrameCipherTests.KAT_KEY)
                .sealWithNonce(FrameCipherTests.KAT_PLAINTEXT, FrameCipherTests.KAT_NONCE);
        String jsFrame = js("seal", 0, args("impl", impl, "key", b64(FrameCipherTests.KAT_KEY), "counter", 1,
                "nonce", b64(FrameCipherTests.KAT_NONCE), "plaintext", FrameCipherTests.KAT_PLAINTEXT)).get("frame").asString();
        assertThat(jsFrame).isEqualTo(javaFrame).isEqualTo(FrameCipherTests.KAT_FRAME);
        assertThat(jsFrame.getBytes(StandardCharsets.UTF_8)).isEqualTo(javaFrame.getBytes(StandardCharsets.UTF_8));
        // And the other direction of the same vector: JS opens what Java sealed as the server.
        String s2c = FrameCipher.forServer(FrameCipherTests.KAT_KEY)
                .sealWithNonce(FrameCipherTests.KAT_PLAINTEXT, FrameCipherTests.KAT_NONCE);
        assertThat(js("open", 0, args("impl", impl, "key", b64(FrameCipherTests.KAT_KEY), "frame", s2c))
                .get("plaintext").asString()).isEqualTo(FrameCipherTests.KAT_PLAINTEXT);
    }

    @ParameterizedTest
    @ValueSource(strings = {"forge", "node"})
    void fullSession_jsWrapsTheKeyItThenUsesForFramesBothWays(String impl) {
        byte[] clientKey = randomKey();
        String wrapped = js("wrap", 0, args("impl", impl, "publicKey", publicKeyPem(), "key", b64(clientKey))).get("wrapped").asString();
        byte[] sessionKey = new KeyWrap((RSAPrivateKey) serverKeys.getPrivate()).unwrap(wrapped);
        FrameCipher server = FrameCipher.forServer(sessionKey);
        String up = js("seal", 0, args("impl", impl, "key", b64(clientKey), "counter", 1, "plaintext", "{\"type\":\"ping\"}"))
                .get("frame").asString();
        assertThat(server.open(up)).isEqualTo("{\"type\":\"ping\"}");
        String down = server.seal("{\"type\":\"pong\"}");
        assertThat(js("open", 0, args("impl", impl, "key", b64(clientKey), "frame", down)).get("plaintext").asString())
                .isEqualTo("{\"type\":\"pong\"}");
    }

    @Test
    void jsSelftest_forgeAndNodeCryptoAgree() {
        assertThat(js("selftest", 0, Map.of()).get("ok").asBoolean()).isTrue();
    }
}
