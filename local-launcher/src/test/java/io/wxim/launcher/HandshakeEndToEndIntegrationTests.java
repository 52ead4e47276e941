package io.wxim.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import io.wxim.protocol.ServerFrame;
import java.net.URI;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The handshake accepts only tokens auth-service really issued for this audience, unexpired: everything else gets
 * HTTP 401 and no upgrade. Tokens are forged with the very key auth-service signs with (see EndToEndTestBase), so
 * each case differs from a valid token in exactly one way.
 */
class HandshakeEndToEndIntegrationTests extends EndToEndTestBase {

    @Test
    void acceptsAValidToken_andTakesTheIdentityFromIt() throws Exception {
        try (WsClient client = WsClient.connect(http, gw1, sign(claims().build(), SIGNING_KEY))) {
            ServerFrame.Welcome welcome = client.await(ServerFrame.Welcome.class);
            assertThat(welcome.user().id()).isEqualTo("uforged0000000000001");
            assertThat(welcome.user().nickname()).isEqualTo("Forged");
        }
    }

    @Test
    void refusesWrongAudience() throws Exception {
        assertThat(handshakeStatus(sign(claims().audience("someone-else").build(), SIGNING_KEY))).isEqualTo(401);
    }

    @Test
    void refusesExpiredTokens() throws Exception {
        Instant past = Instant.now().minusSeconds(600);
        String token = sign(claims().issueTime(Date.from(past.minusSeconds(900))).expirationTime(Date.from(past)).build(), SIGNING_KEY);
        assertThat(handshakeStatus(token)).isEqualTo(401);
    }

    @Test
    void refusesUnsignedTokens_algNone() {
        assertThat(handshakeStatus(new PlainJWT(claims().build()).serialize())).isEqualTo(401);
    }

    @Test
    void refusesHmacTokensKeyedWithThePublicKey() throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(SIGNING_KEY.getKeyID()).build(), claims().build());
        jwt.sign(new MACSigner(SIGNING_KEY.toPublicKey().getEncoded()));
        assertThat(handshakeStatus(jwt.serialize())).isEqualTo(401);
    }

    @Test
    void refusesTokensSignedByAnotherKey_evenWithAKnownKeyId() throws Exception {
        RSAKey other = new RSAKeyGenerator(2048).keyID(SIGNING_KEY.computeThumbprint().toString()).generate();
        assertThat(handshakeStatus(sign(claims().build(), other))).isEqualTo(401);
    }

    @Test
    void refusesSubjectsThatAreNotUserIds() throws Exception {
        assertThat(handshakeStatus(sign(claims().subject("u1\",\"$gt\":\"").build(), SIGNING_KEY))).isEqualTo(401);
    }
}
