package io.wxim.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import io.wxim.protocol.CloseCode;
import io.wxim.protocol.ServerFrame;
import java.net.http.HttpResponse;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import javax.crypto.Cipher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Encrypted connections through the real system: the client fetches {@code GET /api/auth/keys}, wraps a fresh AES key
 * for the current key id and from then on every frame both ways is sealed; tampering, replay and downgrade close the
 * connection with 4005; unknown ids and PKCS#1 v1.5 are refused; keys rotate (every 10s in these tests) under a running
 * conversation without losing a message.
 */
@Timeout(90)
class EncryptionEndToEndIntegrationTests extends EndToEndTestBase {

    /** The published encryption keys: current first. */
    private record Keys(String current, Map<String, RSAPublicKey> byKid) {
        RSAPublicKey currentKey() {
            return byKid.get(current);
        }
    }

    private Keys keys() throws Exception {
        HttpResponse<String> response = get(gw1, "/api/auth/keys", null);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JWKSet set = JWKSet.parse(response.body());
        Map<String, RSAPublicKey> byKid = new java.util.LinkedHashMap<>();
        for (JWK jwk : set.getKeys()) {
            assertThat(jwk.getKeyUse().identifier()).isEqualTo("enc");
            assertThat(jwk.isPrivate()).isFalse();
            byKid.put(jwk.getKeyID(), jwk.toRSAKey().toRSAPublicKey());
        }
        String current = (String) com.nimbusds.jose.util.JSONObjectUtils.parse(response.body()).get("current");
        return new Keys(current, byKid);
    }

    private WsClient secureClient(int port, Login user, String rid) throws Exception {
        WsClient client = WsClient.connect(http, port, user.token());
        client.await(ServerFrame.Welcome.class);
        Keys keys = keys();
        client.secure(rid, keys.current(), keys.currentKey());
        ServerFrame.Secured secured = client.await(ServerFrame.Secured.class, f -> rid.equals(f.rid()));
        assertThat(secured.kid()).isEqualTo(keys.current());
        return client;
    }

    @Test
    void encryptedAndPlainClientsChatAcrossGateways_andEveryFrameAfterTheSwitchIsSealed() throws Exception {
        Login alice = login("alice");
        Login bob = login("bob");
        try (WsClient a = secureClient(gw1, alice, "s1"); WsClient b = WsClient.connect(http, gw2, bob.token())) {
            b.await(ServerFrame.Welcome.class);
            a.send("{\"type\":\"create\",\"rid\":\"c1\",\"name\":\"Sealed room\"}");
            String room = a.await(ServerFrame.Joined.class, f -> "c1".equals(f.rid())).conv();
            b.send("{\"type\":\"join\",\"rid\":\"j1\",\"conv\":\"" + room + "\"}");
            b.await(ServerFrame.Joined.class, f -> "j1".equals(f.rid()));

            a.send(send("m1", room, "secret hello"));
            assertThat(a.await(ServerFrame.Ack.class, f -> "m1".equals(f.cmid())).seq()).isEqualTo(1);
            assertThat(b.await(ServerFrame.Message.class, f -> f.conv().equals(room)).body()).isEqualTo("secret hello");
            b.send(send("m2", room, "plain reply"));
            assertThat(a.await(ServerFrame.Message.class, f -> f.conv().equals(room) && f.seq() == 2).body())
                    .isEqualTo("plain reply");
            a.send("{\"type\":\"ping\",\"rid\":\"p1\"}");
            a.await(ServerFrame.Pong.class, f -> "p1".equals(f.rid()));
            // exactly one answer to secure: no error with its rid followed the secured frame
            assertThat(a.received()).filteredOn(f -> f instanceof ServerFrame.Error e && "s1".equals(e.rid())).isEmpty();

            List<String> raw = a.rawFrames();
            int securedAt = -1;
            for (int i = 0; i < raw.size(); i++) {
                if (raw.get(i).contains("\"type\":\"secured\"")) {
                    securedAt = i;
                }
            }
            assertThat(securedAt).isPositive();
            assertThat(raw.subList(securedAt + 1, raw.size())).isNotEmpty()
                    .allSatisfy(f -> assertThat(f).startsWith("{\"type\":\"sec\",\"c\":").doesNotContain("secret hello")
                            .doesNotContain("plain reply"));
            assertThat(raw.get(0)).contains("\"type\":\"welcome\""); // the welcome precedes the switch, in plaintext
        }
    }

    @Test
    void aFlippedBitAReplayOrAPlaintextFrameClosesTheConnectionWith4005() throws Exception {
        Login carol = login("carol");
        try (WsClient c = secureClient(gw1, carol, "s1")) {
            String sealed = c.seal("{\"type\":\"ping\",\"rid\":\"p1\"}");
            // flip one bit of the ciphertext (inside the base64 of "d", away from the padding)
            int d = sealed.indexOf("\"d\":\"") + 6;
            char flipped = sealed.charAt(d) == 'A' ? 'B' : 'A';
            c.sendRaw(sealed.substring(0, d) + flipped + sealed.substring(d + 1));
            assertThat(c.closeCode(Duration.ofSeconds(10))).isEqualTo(CloseCode.SECURE_CHANNEL_FAILED.code());
        }
        try (WsClient c = secureClient(gw2, carol, "s2")) {
            String sealed = c.seal("{\"type\":\"ping\",\"rid\":\"p1\"}");
            c.sendRaw(sealed);
            c.await(ServerFrame.Pong.class, f -> "p1".equals(f.rid()));
            c.sendRaw(sealed); // the same frame again
            assertThat(c.closeCode(Duration.ofSeconds(10))).isEqualTo(CloseCode.SECURE_CHANNEL_FAILED.code());
            assertThat(c.received()).filteredOn(ServerFrame.Pong.class::isInstance).hasSize(1);
        }
        try (WsClient c = secureClient(gw1, carol, "s3")) {
            c.sendRaw("{\"type\":\"ping\",\"rid\":\"plain\"}"); // a downgrade attempt
            assertThat(c.closeCode(Duration.ofSeconds(10))).isEqualTo(CloseCode.SECURE_CHANNEL_FAILED.code());
            assertThat(c.received()).noneMatch(f -> f instanceof ServerFrame.Pong);
        }
    }

    @Test
    void refusesUnknownKeyIdsPkcs1AndASecondHandshake_theConnectionStaysUsable() throws Exception {
        Login dave = login("dave");
        Keys keys = keys();
        try (WsClient c = WsClient.connect(http, gw2, dave.token())) {
            c.await(ServerFrame.Welcome.class);
            String wrapped = Base64.getEncoder().encodeToString(new byte[256]);
            c.sendRaw("{\"type\":\"secure\",\"rid\":\"u1\",\"kid\":\"no-such-key\",\"key\":\"" + wrapped + "\"}");
            ServerFrame.Error unknown = c.await(ServerFrame.Error.class, f -> "u1".equals(f.rid()));
            assertThat(unknown.code()).isEqualTo("unknown_key");
            assertThat(unknown.retry()).isTrue();

            Cipher pkcs1 = Cipher.getInstance("RSA/ECB/PKCS1Padding");
            pkcs1.init(Cipher.ENCRYPT_MODE, keys.currentKey());
            String v15 = Base64.getEncoder().encodeToString(pkcs1.doFinal(new byte[32]));
            c.sendRaw("{\"type\":\"secure\",\"rid\":\"u2\",\"kid\":\"" + keys.current() + "\",\"key\":\"" + v15 + "\"}");
            ServerFrame.Error invalid = c.await(ServerFrame.Error.class, f -> "u2".equals(f.rid()));
            assertThat(invalid.code()).isEqualTo("bad_request");
            assertThat(invalid.message()).isEqualTo("invalid wrapped key");

            // still a working plaintext connection, and it can switch now
            c.send("{\"type\":\"ping\",\"rid\":\"p1\"}");
            c.await(ServerFrame.Pong.class, f -> "p1".equals(f.rid()));
            c.secure("u3", keys.current(), keys.currentKey());
            c.await(ServerFrame.Secured.class, f -> "u3".equals(f.rid()));
            c.send("{\"type\":\"secure\",\"rid\":\"u4\",\"kid\":\"" + keys.current() + "\",\"key\":\"" + wrapped + "\"}");
            assertThat(c.await(ServerFrame.Error.class, f -> "u4".equals(f.rid())).code()).isEqualTo("conflict");
        }
    }

    @Test
    void limitsSecureHandshakesPerUser() throws Exception {
        Login eve = login("eve");
        String wrapped = Base64.getEncoder().encodeToString(new byte[256]);
        try (WsClient c = WsClient.connect(http, gw1, eve.token())) {
            c.await(ServerFrame.Welcome.class);
            String kid = keys().current();
            List<String> codes = new ArrayList<>();
            for (int i = 0; i < 21; i++) { // 20 per minute per user by default
                c.sendRaw("{\"type\":\"secure\",\"rid\":\"h" + i + "\",\"kid\":\"" + kid + "\",\"key\":\"" + wrapped + "\"}");
                String rid = "h" + i;
                codes.add(c.await(ServerFrame.Error.class, f -> rid.equals(f.rid())).code());
            }
            assertThat(codes.subList(0, 20)).containsOnly("bad_request");
            assertThat(codes.get(20)).isEqualTo("rate_limited");
        }
    }

    @Test
    void keysRotateUnderARunningEncryptedConversationWithoutLosingAMessage() throws Exception {
        Login alice = login("rot-alice");
        Login bob = login("rot-bob");
        Keys first = keys();
        try (WsClient a = secureClient(gw1, alice, "s1"); WsClient b = secureClient(gw2, bob, "s1")) {
            a.send("{\"type\":\"create\",\"rid\":\"c1\",\"name\":\"Rotating\"}");
            String room = a.await(ServerFrame.Joined.class, f -> "c1".equals(f.rid())).conv();
            b.send("{\"type\":\"join\",\"rid\":\"j1\",\"conv\":\"" + room + "\"}");
            b.await(ServerFrame.Joined.class, f -> "j1".equals(f.rid()));

            // Keep talking until the first key has been replaced and then retired (bounded: rotation + overlap + slack).
            long deadline = System.nanoTime() + KEY_ROTATION.plus(KEY_OVERLAP).plusSeconds(15).toNanos();
            int sent = 0;
            String rotatedTo = null;
            boolean joinedWithNewKey = false;
            while (System.nanoTime() < deadline) {
                sent++;
                a.send(send("r" + sent, room, "tick " + sent));
                a.await(ServerFrame.Ack.class, cmidIs("r" + sent));
                Keys now = keys();
                if (!now.current().equals(first.current()) && !joinedWithNewKey) {
                    rotatedTo = now.current();
                    // a new connection picks the new key and joins the conversation mid-stream
                    try (WsClient late = secureClient(gw2, bob, "late")) {
                        late.send("{\"type\":\"ping\",\"rid\":\"lp\"}");
                        late.await(ServerFrame.Pong.class, f -> "lp".equals(f.rid()));
                    }
                    joinedWithNewKey = true;
                }
                if (rotatedTo != null && !now.byKid().containsKey(first.current())) {
                    break; // the first key is retired
                }
                sleepQuietly(100);
            }
            assertThat(rotatedTo).as("the current key rotated").isNotNull();
            assertThat(keys().byKid()).doesNotContainKey(first.current());

            // A client still holding the retired key id is told so, re-fetches and succeeds.
            try (WsClient stale = WsClient.connect(http, gw1, alice.token())) {
                stale.await(ServerFrame.Welcome.class);
                stale.secure("old", first.current(), first.currentKey());
                assertThat(stale.await(ServerFrame.Error.class, f -> "old".equals(f.rid())).code()).isEqualTo("unknown_key");
            }
            try (WsClient fresh = secureClient(gw1, alice, "new")) {
                fresh.send("{\"type\":\"ping\",\"rid\":\"fp\"}");
                fresh.await(ServerFrame.Pong.class, f -> "fp".equals(f.rid()));
            }

            // The sessions that started on the first key never stopped: bob got every message, in order.
            for (int seq = 1; seq <= sent; seq++) {
                long expected = seq;
                assertThat(b.await(ServerFrame.Message.class, f -> f.conv().equals(room) && f.seq() == expected).body())
                        .isEqualTo("tick " + seq);
            }
            assertThat(b.received()).filteredOn(f -> f instanceof ServerFrame.Message m && m.conv().equals(room))
                    .hasSize(sent);
        }
    }

    private static java.util.function.Predicate<ServerFrame.Ack> cmidIs(String cmid) {
        return f -> cmid.equals(f.cmid());
    }
}
