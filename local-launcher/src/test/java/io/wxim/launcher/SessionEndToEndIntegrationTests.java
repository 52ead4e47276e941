package io.wxim.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.protocol.CloseCode;
import io.wxim.protocol.ServerFrame;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The token lifecycle seen from connected clients on two gateways: logout and ban close the user's connections
 * everywhere within seconds (4501) and their tokens are refused at the handshake afterwards; a reused refresh token
 * ends its session; a connection refreshes its token in-band and outlives the first token.
 */
class SessionEndToEndIntegrationTests extends EndToEndTestBase {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Duration SECONDS = Duration.ofSeconds(10);

    record Session(String access, String refresh, String userId) {
    }

    private Session loginAs(String nickname) throws Exception {
        HttpResponse<String> response = post("/api/auth/dev-login", "{\"nickname\":\"" + nickname + "\"}", null);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode body = JSON.readTree(response.body());
        return new Session(body.get("accessToken").asString(), body.get("refreshToken").asString(),
                body.get("user").get("id").asString());
    }

    private HttpResponse<String> post(String path, String json, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gw1 + path))
                .timeout(SECONDS).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json == null ? "" : json));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String nickname(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 6);
    }

    @Test
    void logout_closesThatSessionOnEveryGateway_andItsTokenIsRefusedAfterwards() throws Exception {
        String name = nickname("leaver");
        Session phone = loginAs(name);
        Session laptop = loginAs(name);
        WsClient one = WsClient.connect(http, gw1, phone.access());
        WsClient two = WsClient.connect(http, gw2, phone.access());
        try (WsClient other = WsClient.connect(http, gw2, laptop.access())) {
            one.await(ServerFrame.Welcome.class);
            two.await(ServerFrame.Welcome.class);
            other.await(ServerFrame.Welcome.class);

            assertThat(post("/api/auth/logout", null, phone.access()).statusCode()).isEqualTo(204);

            assertThat(one.closeCode(SECONDS)).isEqualTo(CloseCode.SESSION_REVOKED.code());
            assertThat(two.closeCode(SECONDS)).isEqualTo(CloseCode.SESSION_REVOKED.code());
            assertThat(handshakeStatus(phone.access())).isEqualTo(401);
            assertThat(post("/api/auth/refresh", "{\"refreshToken\":\"" + phone.refresh() + "\"}", null).statusCode())
                    .isEqualTo(401);
            // every API behind the edge refuses it too; the other session still reads
            assertThat(get(gw2, "/api/chat/conversations", phone.access()).statusCode()).isEqualTo(401);
            assertThat(get(gw1, "/api/history/r:lobby", phone.access()).statusCode()).isEqualTo(401);
            assertThat(get(gw2, "/api/chat/conversations", laptop.access()).statusCode()).isEqualTo(200);
            // the user's other session is untouched
            other.send("{\"type\":\"ping\",\"rid\":\"p1\"}");
            other.await(ServerFrame.Pong.class, f -> "p1".equals(f.rid()));
            assertThat(other.isClosed()).isFalse();
        } finally {
            one.close();
            two.close();
        }
    }

    @Test
    void ban_closesEveryConnectionOfTheUser_andRefusesTheirTokens() throws Exception {
        Session troll = loginAs(nickname("troll"));
        WsClient one = WsClient.connect(http, gw1, troll.access());
        WsClient two = WsClient.connect(http, gw2, troll.access());
        try {
            one.await(ServerFrame.Welcome.class);
            two.await(ServerFrame.Welcome.class);
            HttpResponse<String> ban = http.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + authPort() + "/internal/users/" + troll.userId() + "/ban"))
                    .timeout(SECONDS).header("Authorization", "Bearer " + ADMIN_TOKEN)
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(ban.statusCode()).isEqualTo(204);
            assertThat(one.closeCode(SECONDS)).isEqualTo(CloseCode.SESSION_REVOKED.code());
            assertThat(two.closeCode(SECONDS)).isEqualTo(CloseCode.SESSION_REVOKED.code());
            assertThat(handshakeStatus(troll.access())).isEqualTo(401);
            assertThat(post("/api/auth/refresh", "{\"refreshToken\":\"" + troll.refresh() + "\"}", null).statusCode())
                    .isEqualTo(403);
        } finally {
            one.close();
            two.close();
        }
    }

    @Test
    void aReusedRefreshToken_endsItsSession() throws Exception {
        Session victim = loginAs(nickname("victim"));
        String body = "{\"refreshToken\":\"" + victim.refresh() + "\"}";
        HttpResponse<String> rotated = post("/api/auth/refresh", body, null);
        assertThat(rotated.statusCode()).isEqualTo(200);
        // the owner rotates again with what it got: the old token presented now is no retry of a lost answer
        // (within the retry grace that would get a new pair) but a copy
        HttpResponse<String> again = post("/api/auth/refresh",
                "{\"refreshToken\":\"" + JSON.readTree(rotated.body()).get("refreshToken").asString() + "\"}", null);
        assertThat(again.statusCode()).isEqualTo(200);
        String current = JSON.readTree(again.body()).get("accessToken").asString();
        try (WsClient c = WsClient.connect(http, gw2, current)) {
            c.await(ServerFrame.Welcome.class);
            assertThat(post("/api/auth/refresh", body, null).statusCode()).isEqualTo(401); // the stolen copy
            assertThat(c.closeCode(SECONDS)).isEqualTo(CloseCode.SESSION_REVOKED.code());
        }
    }

    @Test
    void aConnectionRefreshesItsTokenInBand_andOutlivesTheFirstToken() throws Exception {
        Instant now = Instant.now();
        String shortLived = sign(claims().claim("sid", "s-inband").expirationTime(Date.from(now.plusSeconds(3))).build(), SIGNING_KEY);
        try (WsClient c = WsClient.connect(http, gw1, shortLived)) {
            c.await(ServerFrame.Welcome.class);
            String other = sign(claims().subject("uforged0000000000002").build(), SIGNING_KEY);
            c.send("{\"type\":\"auth\",\"rid\":\"a1\",\"token\":\"" + other + "\"}");
            assertThat(c.await(ServerFrame.Error.class, f -> "a1".equals(f.rid())).code()).isEqualTo("unauthorized");
            c.send("{\"type\":\"auth\",\"rid\":\"a2\",\"token\":\"garbage\"}");
            assertThat(c.await(ServerFrame.Error.class, f -> "a2".equals(f.rid())).code()).isEqualTo("unauthorized");

            Instant later = now.plusSeconds(600);
            String fresh = sign(claims().claim("sid", "s-inband").expirationTime(Date.from(later)).build(), SIGNING_KEY);
            c.send("{\"type\":\"auth\",\"rid\":\"a3\",\"token\":\"" + fresh + "\"}");
            assertThat(c.await(ServerFrame.Authed.class, f -> "a3".equals(f.rid())).expiresAt())
                    .isEqualTo(later.getEpochSecond() * 1000);

            sleepQuietly(4000); // past the first token's expiry
            c.send("{\"type\":\"ping\",\"rid\":\"p1\"}");
            c.await(ServerFrame.Pong.class, f -> "p1".equals(f.rid()));
            assertThat(c.isClosed()).isFalse();
        }
    }

    @Test
    void aTokenWithAKeyIdAuthServiceNeverHad_isAnsweredByTheGateway_andInBandIsRetryOrRefused_neverAccepted() throws Exception {
        com.nimbusds.jose.jwk.RSAKey stranger = new com.nimbusds.jose.jwk.gen.RSAKeyGenerator(2048)
                .keyID("made-up-" + UUID.randomUUID()).generate();
        String forged = sign(claims().build(), stranger);

        // /api: 401 once the gateway's fetch for the key id found nothing, 503 inside its refetch interval; either way
        // the gateway's own answer (problem+json: chat's resource server answers 401 with no body), so chat never
        // fetched auth-service's keys for it
        HttpResponse<String> api = get(gw2, "/api/chat/conversations", forged);
        assertThat(api.statusCode()).isIn(401, 503);
        assertThat(api.body()).contains("\"detail\":\"the token");

        // in-band: two refreshes with it back to back; the second comes inside the refetch interval (60 s here) the
        // first started or was already in: `unavailable` (retry), never an `authed`; the connection keeps its token
        try (WsClient c = WsClient.connect(http, gw1, sign(claims().build(), SIGNING_KEY))) {
            c.await(ServerFrame.Welcome.class);
            java.util.List<ServerFrame.Error> answers = new java.util.ArrayList<>();
            for (String rid : new String[] {"k1", "k2"}) {
                c.send("{\"type\":\"auth\",\"rid\":\"" + rid + "\",\"token\":\"" + forged + "\"}");
                answers.add(c.await(ServerFrame.Error.class, f -> rid.equals(f.rid())));
            }
            assertThat(answers).extracting(ServerFrame.Error::code).containsAnyOf("unavailable")
                    .allMatch(code -> code.equals("unavailable") || code.equals("unauthorized"));
            assertThat(answers).filteredOn(e -> e.code().equals("unavailable")).allMatch(ServerFrame.Error::retry);
            c.send("{\"type\":\"ping\",\"rid\":\"p1\"}");
            c.await(ServerFrame.Pong.class, f -> "p1".equals(f.rid()));
            assertThat(c.isClosed()).isFalse();
        }
    }
}
