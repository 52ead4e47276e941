package io.wxim.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.protocol.ServerFrame;
import io.wxim.testinfra.MediaSamples;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.UUID;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Image and audio messages through the real system: upload through gateway 1 (multipart, as wx.uploadFile sends it),
 * send in a room or directly, receive on gateway 2 with signed links, fetch the file and its thumbnail through the
 * gateway without a token (as {@code <image src>} does), byte ranges for audio, and the authorization rules.
 */
@Timeout(60)
class MediaEndToEndIntegrationTests extends EndToEndTestBase {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Test
    void anImageSentInARoomReachesAMemberOnTheOtherGateway_withWorkingLinks() throws Exception {
        Login alice = login("alice");
        Login bob = login("bob");
        Login carol = login("carol");
        byte[] png = png(1200, 600);
        try (WsClient a = WsClient.connect(http, gw1, alice.token()); WsClient b = WsClient.connect(http, gw2, bob.token())) {
            a.await(ServerFrame.Welcome.class);
            b.await(ServerFrame.Welcome.class);
            a.send("{\"type\":\"create\",\"rid\":\"c1\",\"name\":\"Photos\"}");
            String room = a.await(ServerFrame.Joined.class, f -> "c1".equals(f.rid())).conv();
            b.send("{\"type\":\"join\",\"rid\":\"j1\",\"conv\":\"" + room + "\"}");
            b.await(ServerFrame.Joined.class, f -> "j1".equals(f.rid()));

            JsonNode uploaded = upload(gw1, alice.token(), png, "IMG_0001.png");
            String mediaId = uploaded.get("id").asString();
            assertThat(uploaded.get("width").asInt()).isEqualTo(1200);

            a.send("{\"type\":\"send\",\"cmid\":\"i1\",\"conv\":\"" + room + "\",\"kind\":\"image\",\"media\":\"" + mediaId + "\"}");
            ServerFrame.Ack ack = a.await(ServerFrame.Ack.class, f -> "i1".equals(f.cmid()));
            ServerFrame.Message atBob = b.await(ServerFrame.Message.class, f -> f.conv().equals(room));
            assertThat(atBob.seq()).isEqualTo(ack.seq());
            assertThat(atBob.kind()).isEqualTo("image");
            assertThat(atBob.body()).isNull();
            ServerFrame.Media media = atBob.media();
            assertThat(media.id()).isEqualTo(mediaId);
            assertThat(media.contentType()).isEqualTo("image/png");
            assertThat(media.width()).isEqualTo(1200);
            assertThat(media.height()).isEqualTo(600);
            assertThat(media.expiresAt()).isGreaterThan(System.currentTimeMillis());

            HttpResponse<byte[]> file = fetch(gw2, media.url(), null);
            assertThat(file.statusCode()).isEqualTo(200);
            assertThat(file.body()).isEqualTo(png);
            assertThat(file.headers().firstValue("x-content-type-options")).contains("nosniff");
            assertThat(file.headers().firstValue("content-type")).contains("image/png");
            HttpResponse<byte[]> thumb = fetch(gw2, media.thumbUrl(), null);
            assertThat(thumb.headers().firstValue("content-type")).contains("image/jpeg");
            BufferedImage thumbnail = ImageIO.read(new ByteArrayInputStream(thumb.body()));
            assertThat(thumbnail.getWidth()).isEqualTo(320);

            // the links in history, and fresh ones on request, for members only
            JsonNode history = getJson(gw2, "/api/history/" + room, bob.token());
            assertThat(history.get("messages").get(0).get("media").get("url").asString()).startsWith("/api/media/" + mediaId);
            assertThat(get(gw2, "/api/media/" + mediaId + "/url?conv=" + room, bob.token()).statusCode()).isEqualTo(200);
            assertThat(get(gw1, "/api/media/" + mediaId + "/url?conv=" + room, carol.token()).statusCode()).isEqualTo(404);
            assertThat(fetch(gw1, media.url().replace("sig=", "sig=A"), null).statusCode()).isEqualTo(403);

            // someone else's upload cannot be sent
            b.send("{\"type\":\"send\",\"cmid\":\"x1\",\"conv\":\"" + room + "\",\"kind\":\"image\",\"media\":\"" + mediaId + "\"}");
            assertThat(b.await(ServerFrame.Error.class, f -> "x1".equals(f.cmid())).code()).isEqualTo("not_found");
        }
    }

    @Test
    void aVoiceMessageSentDirectly_isStreamedInRanges() throws Exception {
        Login alice = login("alice");
        Login bob = login("bob");
        byte[] wav = wav(40_000);
        try (WsClient a = WsClient.connect(http, gw1, alice.token()); WsClient b = WsClient.connect(http, gw2, bob.token())) {
            a.await(ServerFrame.Welcome.class);
            b.await(ServerFrame.Welcome.class);
            JsonNode uploaded = upload(gw2, alice.token(), wav, "voice.wav");
            assertThat(uploaded.get("kind").asString()).isEqualTo("audio");
            String mediaId = uploaded.get("id").asString();

            a.send("{\"type\":\"send\",\"cmid\":\"v1\",\"to\":\"" + bob.userId() + "\",\"kind\":\"audio\",\"media\":\""
                    + mediaId + "\",\"duration\":1250}");
            a.await(ServerFrame.Ack.class, f -> "v1".equals(f.cmid()));
            ServerFrame.Message atBob = b.await(ServerFrame.Message.class, f -> "audio".equals(f.kind()));
            assertThat(atBob.media().duration()).isEqualTo(1250);
            assertThat(atBob.media().thumbUrl()).isNull();

            HttpResponse<byte[]> part = fetch(gw2, atBob.media().url(), "bytes=100-199");
            assertThat(part.statusCode()).isEqualTo(206);
            assertThat(part.headers().firstValue("content-range")).contains("bytes 100-199/" + wav.length);
            assertThat(part.body()).isEqualTo(Arrays.copyOfRange(wav, 100, 200));

            a.send("{\"type\":\"send\",\"cmid\":\"v2\",\"to\":\"" + bob.userId() + "\",\"kind\":\"image\",\"media\":\"" + mediaId + "\"}");
            assertThat(a.await(ServerFrame.Error.class, f -> "v2".equals(f.cmid())).code()).isEqualTo("bad_request");
        }
    }

    @Test
    void refusesFilesThatAreNotAllowedMedia_throughTheGateway() throws Exception {
        Login alice = login("alice");
        HttpResponse<String> svg = uploadRaw(gw1, alice.token(),
                "<svg xmlns=\"http://www.w3.org/2000/svg\"/>".getBytes(StandardCharsets.UTF_8), "x.png");
        assertThat(svg.statusCode()).isEqualTo(415);
        assertThat(svg.body()).contains("not an allowed type").doesNotContain("Exception");
        assertThat(uploadRaw(gw1, null, png(10, 10), "x.png").statusCode()).isEqualTo(401);
    }

    /**
     * A recalled picture's file is deleted: links handed out before answer 404, fresh ones are refused. The same upload
     * sent twice keeps its file while one of the messages still shows it.
     */
    @Test
    void aRecalledPicturesFileIsDeleted_unlessAnotherMessageStillShowsIt() throws Exception {
        Login alice = login("alice");
        Login bob = login("bob");
        try (WsClient a = WsClient.connect(http, gw1, alice.token()); WsClient b = WsClient.connect(http, gw2, bob.token())) {
            a.await(ServerFrame.Welcome.class);
            b.await(ServerFrame.Welcome.class);
            String mediaId = upload(gw1, alice.token(), png(64, 48), "oops.png").get("id").asString();
            String send = "{\"type\":\"send\",\"cmid\":\"%s\",\"to\":\"" + bob.userId()
                    + "\",\"kind\":\"image\",\"media\":\"" + mediaId + "\"}";
            a.send(send.formatted("p1"));
            ServerFrame.Ack first = a.await(ServerFrame.Ack.class, f -> "p1".equals(f.cmid()));
            a.send(send.formatted("p2"));
            ServerFrame.Ack second = a.await(ServerFrame.Ack.class, f -> "p2".equals(f.cmid()));
            ServerFrame.Media media = b.await(ServerFrame.Message.class, f -> f.seq() == first.seq()).media();
            assertThat(fetch(gw2, media.url(), null).statusCode()).isEqualTo(200);

            a.send(DirectMessagesEndToEndIntegrationTests.recall("q1", first.conv(), first.seq()));
            a.await(ServerFrame.Recalled.class, f -> "q1".equals(f.rid()));
            assertThat(fetch(gw2, media.url(), null).statusCode()).as("still shown by the second message").isEqualTo(200);

            a.send(DirectMessagesEndToEndIntegrationTests.recall("q2", second.conv(), second.seq()));
            a.await(ServerFrame.Recalled.class, f -> "q2".equals(f.rid()));
            assertThat(fetch(gw2, media.url(), null).statusCode()).isEqualTo(404);
            assertThat(fetch(gw2, media.thumbUrl(), null).statusCode()).isEqualTo(404);
            assertThat(get(gw2, "/api/media/" + mediaId + "/url?conv=" + first.conv(), bob.token()).statusCode())
                    .isEqualTo(404);
            assertThat(get(gw1, "/api/media/" + mediaId + "/url", alice.token()).statusCode()).isEqualTo(404);
        }
    }

    private JsonNode upload(int port, String token, byte[] content, String filename) throws Exception {
        HttpResponse<String> response = uploadRaw(port, token, content, filename);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        return JSON.readTree(response.body());
    }

    /** A multipart/form-data request like wx.uploadFile's: one file part named "file" and a form field. */
    private HttpResponse<String> uploadRaw(int port, String token, byte[] content, String filename) throws Exception {
        String boundary = "----wxim" + UUID.randomUUID();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"user\"\r\n\r\nignored\r\n")
                .getBytes(StandardCharsets.UTF_8));
        body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + filename
                + "\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        body.write(content);
        body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/media"))
                .timeout(Duration.ofSeconds(20))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<byte[]> fetch(int port, String relativeUrl, String range) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + relativeUrl))
                .timeout(Duration.ofSeconds(10)).GET();
        if (range != null) {
            request.header("Range", range);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static byte[] png(int width, int height) {
        return MediaSamples.png(width, height, false);
    }

    private static byte[] wav(int dataBytes) {
        return MediaSamples.wav(dataBytes);
    }
}
