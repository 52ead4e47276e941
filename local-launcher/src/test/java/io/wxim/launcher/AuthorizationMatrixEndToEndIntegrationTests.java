package io.wxim.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.protocol.ServerFrame;
import io.wxim.testinfra.MediaSamples;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The authorization matrix for an outsider: for each kind of conversation (a room, a direct conversation and a pair
 * session of two other users), every command and REST read that targets it answers exactly like the same command on
 * a conversation that does not exist (same code, same message, same status and body), and the outsider's
 * conversation list shows none of them; a media link request for a file sent there is a 404 like an unknown file.
 */
@Timeout(60)
class AuthorizationMatrixEndToEndIntegrationTests extends EndToEndTestBase {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Test
    void anOutsiderLearnsNothingAboutConversationsOfOthers() throws Exception {
        Login alice = login("alice");
        Login bob = login("bob");
        Login carol = login("carol");
        try (WsClient a = WsClient.connect(http, gw1, alice.token()); WsClient b = WsClient.connect(http, gw2, bob.token());
             WsClient c = WsClient.connect(http, gw1, carol.token())) {
            a.await(ServerFrame.Welcome.class);
            b.await(ServerFrame.Welcome.class);
            c.await(ServerFrame.Welcome.class);

            // a room with an image, a direct conversation and a pair session, all between alice and bob
            a.send("{\"type\":\"create\",\"rid\":\"c1\",\"name\":\"private-ish\"}");
            String room = a.await(ServerFrame.Joined.class, f -> "c1".equals(f.rid())).conv();
            b.send("{\"type\":\"join\",\"rid\":\"j1\",\"conv\":\"" + room + "\"}");
            b.await(ServerFrame.Joined.class, f -> "j1".equals(f.rid()));
            String mediaId = upload(alice.token());
            a.send("{\"type\":\"send\",\"cmid\":\"i1\",\"conv\":\"" + room + "\",\"kind\":\"image\",\"media\":\"" + mediaId + "\"}");
            a.await(ServerFrame.Ack.class, f -> "i1".equals(f.cmid()));
            a.send("{\"type\":\"send\",\"cmid\":\"d1\",\"to\":\"" + bob.userId() + "\",\"body\":\"just us\"}");
            String direct = a.await(ServerFrame.Ack.class, f -> "d1".equals(f.cmid())).conv();
            a.send("{\"type\":\"pairRequest\",\"rid\":\"p1\",\"to\":\"" + bob.userId() + "\"}");
            a.await(ServerFrame.PairRequestSent.class, f -> "p1".equals(f.rid()));
            b.send("{\"type\":\"pairAccept\",\"rid\":\"p2\",\"from\":\"" + alice.userId() + "\"}");
            String pair = b.await(ServerFrame.PairStarted.class, f -> "p2".equals(f.rid())).conv();
            b.send("{\"type\":\"send\",\"cmid\":\"q1\",\"conv\":\"" + pair + "\",\"body\":\"paired\"}");
            b.await(ServerFrame.Ack.class, f -> "q1".equals(f.cmid()));

            String hex = UUID.randomUUID().toString().replace("-", "") + "00000000";
            Map<String, String> twins = Map.of(room, "r:" + UUID.randomUUID().toString().substring(0, 12),
                    direct, "d:" + hex.substring(0, 40), pair, "p:" + UUID.randomUUID().toString().substring(0, 16));
            int n = 0;
            for (Map.Entry<String, String> e : twins.entrySet()) {
                String real = e.getKey();
                String absent = e.getValue();
                List<String> commands = new ArrayList<>(List.of(
                        "{\"type\":\"send\",\"rid\":\"%s\",\"cmid\":\"%s\",\"conv\":\"%s\",\"body\":\"hi\"}",
                        "{\"type\":\"members\",\"rid\":\"%s\",\"x\":\"%s\",\"conv\":\"%s\"}",
                        "{\"type\":\"read\",\"rid\":\"%s\",\"x\":\"%s\",\"conv\":\"%s\",\"seq\":1}",
                        "{\"type\":\"recall\",\"rid\":\"%s\",\"x\":\"%s\",\"conv\":\"%s\",\"seq\":1}",
                        "{\"type\":\"leave\",\"rid\":\"%s\",\"x\":\"%s\",\"conv\":\"%s\"}"));
                if (!real.startsWith("r:")) {
                    commands.add("{\"type\":\"typing\",\"rid\":\"%s\",\"x\":\"%s\",\"conv\":\"%s\"}");
                }
                for (String command : commands) {
                    n++;
                    String r1 = "m" + n + "a";
                    String r2 = "m" + n + "b";
                    c.send(String.format(command, r1, r1, real));
                    c.send(String.format(command, r2, r2, absent));
                    ServerFrame.Error toReal = c.await(ServerFrame.Error.class, f -> r1.equals(f.rid()));
                    ServerFrame.Error toAbsent = c.await(ServerFrame.Error.class, f -> r2.equals(f.rid()));
                    assertThat(toReal.code()).as(command + " on " + real).isEqualTo("not_found");
                    // the same answer, the conversation id aside (messages may echo the id the client sent)
                    assertThat(toReal.message().replace(real, "X")).isEqualTo(toAbsent.message().replace(absent, "X"));
                    assertThat(toReal.retry()).isEqualTo(toAbsent.retry());
                }
                // sync answers per conversation: an error, the same as for one that does not exist
                String sr = "s" + n;
                c.send("{\"type\":\"sync\",\"rid\":\"" + sr + "\",\"convs\":{\"" + real + "\":0,\"" + absent + "\":0}}");
                List<ServerFrame.Error> syncErrors = List.of(c.await(ServerFrame.Error.class, f -> sr.equals(f.rid())),
                        c.await(ServerFrame.Error.class, f -> sr.equals(f.rid())));
                assertThat(syncErrors).extracting(ServerFrame.Error::code).containsOnly("not_found");
                assertThat(syncErrors).extracting(err -> err.message().replace(real, "X").replace(absent, "X"))
                        .containsOnly(syncErrors.get(0).message().replace(real, "X").replace(absent, "X"));

                HttpResponse<String> history = get(gw2, "/api/history/" + real, carol.token());
                HttpResponse<String> historyAbsent = get(gw2, "/api/history/" + absent, carol.token());
                assertThat(history.statusCode()).isEqualTo(404);
                assertThat(history.body().replace(real, "X")).isEqualTo(historyAbsent.body().replace(absent, "X"));
            }
            assertThat(c.received()).noneMatch(f -> f instanceof ServerFrame.Message);

            JsonNode list = getJson(gw1, "/api/chat/conversations", carol.token());
            assertThat(list.toString()).doesNotContain(room).doesNotContain(direct).doesNotContain(pair);

            HttpResponse<String> link = get(gw1, "/api/media/" + mediaId + "/url?conv=" + room, carol.token());
            HttpResponse<String> linkAbsent = get(gw1, "/api/media/AAAAAAAAAAAAAAAAAAAAAA/url?conv=" + room, carol.token());
            assertThat(link.statusCode()).isEqualTo(404);
            assertThat(link.body().replace(mediaId, "X")).isEqualTo(linkAbsent.body().replace("AAAAAAAAAAAAAAAAAAAAAA", "X"));
            assertThat(get(gw1, "/api/media/" + mediaId + "/url?conv=" + room, bob.token()).statusCode()).isEqualTo(200);
        }
    }

    private String upload(String token) throws Exception {
        String boundary = "----wxim" + UUID.randomUUID();
        byte[] png = MediaSamples.png(16, 16, false);
        java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
        body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n"
                + "Content-Type: image/png\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        body.write(png);
        body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gw1 + "/api/media"))
                .timeout(Duration.ofSeconds(20))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        return JSON.readTree(response.body()).get("id").asString();
    }
}
