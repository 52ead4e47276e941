package io.wxim.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.wxim.protocol.ServerFrame;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Per-connection and per-user limits, end to end: frame rate, connections per user, token lifetime. */
class ConnectionLimitsEndToEndIntegrationTests extends EndToEndTestBase {

    @Test
    void answersRateLimited_withTheFramesRid_beyondTheBurst() {
        try (WsClient x = WsClient.connect(http, gw1, login("xavier").token())) {
            x.await(ServerFrame.Welcome.class);
            for (int i = 0; i < 60; i++) { // burst 40, refill 20/s: a tight loop of 60 must hit the limit
                x.send("{\"type\":\"ping\",\"rid\":\"p" + i + "\"}");
            }
            ServerFrame.Error limited = x.await(ServerFrame.Error.class, e -> "rate_limited".equals(e.code()));
            assertThat(limited.rid()).startsWith("p");
            assertThat(limited.retry()).isTrue();
            x.send("{\"type\":\"ping\",\"rid\":\"after\"}"); // the connection stays usable
            sleepQuietly(200);
            x.send("{\"type\":\"ping\",\"rid\":\"after2\"}");
            x.await(ServerFrame.Pong.class, p -> "after2".equals(p.rid()));
        }
    }

    @Test
    void closesTheEleventhConnectionOfAUser_with4503() {
        Login yan = login("yan");
        List<WsClient> open = new ArrayList<>();
        try {
            for (int i = 0; i < 10; i++) {
                WsClient c = WsClient.connect(http, gw2, yan.token());
                c.await(ServerFrame.Welcome.class);
                open.add(c);
            }
            WsClient eleventh = WsClient.connect(http, gw2, yan.token());
            open.add(eleventh);
            assertThat(eleventh.closeCode(Duration.ofSeconds(10))).isEqualTo(4503);
            assertThat(open.get(0).isClosed()).isFalse();
        } finally {
            open.forEach(WsClient::close);
        }
    }

    @Test
    void closesTheConnection_with4003_whenTheAccessTokenExpires() throws Exception {
        Instant now = Instant.now();
        JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer("wxim").audience("wxim").subject("ushortlived000000001")
                .claim("name", "Brief").issueTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(3))).build();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256)
                .keyID(SIGNING_KEY.computeThumbprint().toString()).build(), claims);
        jwt.sign(new RSASSASigner(SIGNING_KEY));
        try (WsClient z = WsClient.connect(http, gw1, jwt.serialize())) {
            z.await(ServerFrame.Welcome.class);
            assertThat(z.closeCode(Duration.ofSeconds(10))).isEqualTo(4003);
        }
    }
}
