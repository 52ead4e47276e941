package io.wxim.history.media;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wxim.history.FakeAuthAndChat;
import io.wxim.history.message.InvalidRequestException;
import io.wxim.history.message.MediaNotFoundException;
import io.wxim.history.message.MessageService;
import io.wxim.history.message.NewMessage;
import io.wxim.history.message.StoredMessage;
import io.wxim.testinfra.MediaSamples;
import io.wxim.testinfra.TestInfra;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.UUID;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.query.Criteria;
import org.springframework.data.mongodb.core.query.Query;
import org.springframework.data.mongodb.core.query.Update;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.client.MultipartBodyBuilder;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.BodyInserters;

/**
 * Uploads, signed downloads and who may use and see a file, against a real MongoDB (GridFS) with real JWT
 * verification (a fake JWKS and membership endpoint). Caps are lowered so oversized files are small.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"spring.config.name=history-service", "management.server.port=0",
                "im.history.media.max-image-size=300KB", "im.history.media.max-audio-size=100KB",
                "im.history.media.max-image-pixels=4000000", "im.history.media.orphan-ttl=1s",
                "im.history.media.sweep-interval=1h"})
@AutoConfigureWebTestClient(timeout = "20s")
@Timeout(120)
class MediaApiIntegrationTests {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final FakeAuthAndChat FAKES = new FakeAuthAndChat();
    private static final String URL_KEY = Base64.getEncoder().encodeToString("media-url-key-for-tests-0123456789".getBytes());

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        registry.add("spring.mongodb.uri", () -> TestInfra.mongoUri("im_history_media_" + UUID.randomUUID().toString().substring(0, 8)));
        registry.add("spring.security.oauth2.resourceserver.jwt.jwk-set-uri", () -> FAKES.baseUrl() + "/jwks");
        registry.add("im.history.chat-base-url", FAKES::baseUrl);
        registry.add("im.history.media.url-key", () -> URL_KEY);
    }

    @AfterAll
    static void stopFakes() {
        FAKES.close();
    }

    @Autowired
    WebTestClient web;

    @Autowired
    MessageService messages;

    @Autowired
    ReactiveMongoTemplate mongo;

    @Autowired
    OrphanSweeper sweeper;

    @Autowired
    MediaRepository mediaRepository;

    @Autowired
    io.wxim.history.message.MediaClaims claims;

    @Test
    void uploadsAnImage_andServesItAndItsThumbnailBySignedUrlWithoutAToken() throws Exception {
        byte[] png = png(800, 400, true);
        Map<String, Object> uploaded = upload("alice", png, "holiday.png", MediaType.IMAGE_PNG).expectStatus().isCreated()
                .expectBody(MAP).returnResult().getResponseBody();

        assertThat(uploaded).containsEntry("kind", "image").containsEntry("contentType", "image/png")
                .containsEntry("width", 800).containsEntry("height", 400);
        assertThat(((Number) uploaded.get("size")).longValue()).isEqualTo(png.length);
        String id = (String) uploaded.get("id");
        assertThat(id).matches("[A-Za-z0-9_-]{22}");

        byte[] served = web.get().uri((String) uploaded.get("url")).exchange()
                .expectStatus().isOk()
                .expectHeader().contentType(MediaType.IMAGE_PNG)
                .expectHeader().valueEquals("X-Content-Type-Options", "nosniff")
                .expectHeader().valueEquals(HttpHeaders.ACCEPT_RANGES, "bytes")
                .expectHeader().value(HttpHeaders.CACHE_CONTROL, v -> assertThat(v).contains("private").contains("max-age="))
                .expectBody(byte[].class).returnResult().getResponseBody();
        assertThat(served).isEqualTo(png);

        byte[] thumb = web.get().uri((String) uploaded.get("thumbUrl")).exchange()
                .expectStatus().isOk().expectHeader().contentType(MediaType.IMAGE_JPEG)
                .expectBody(byte[].class).returnResult().getResponseBody();
        BufferedImage thumbnail = ImageIO.read(new ByteArrayInputStream(thumb));
        assertThat(thumbnail.getWidth()).isEqualTo(320);
        assertThat(thumbnail.getHeight()).isEqualTo(160);

        String etag = web.get().uri((String) uploaded.get("url")).exchange().returnResult(byte[].class)
                .getResponseHeaders().getETag();
        web.get().uri((String) uploaded.get("url")).header(HttpHeaders.IF_NONE_MATCH, etag).exchange()
                .expectStatus().isNotModified();
    }

    @Test
    void servesByteRanges_ofAudio() {
        byte[] wav = wav(50_000);
        Map<String, Object> uploaded = upload("alice", wav, "voice.wav", MediaType.APPLICATION_OCTET_STREAM)
                .expectStatus().isCreated().expectBody(MAP).returnResult().getResponseBody();
        assertThat(uploaded).containsEntry("kind", "audio").containsEntry("contentType", "audio/wav")
                .doesNotContainKeys("width", "thumbUrl");
        String url = (String) uploaded.get("url");

        byte[] part = web.get().uri(url).header(HttpHeaders.RANGE, "bytes=1000-1999").exchange()
                .expectStatus().isEqualTo(206)
                .expectHeader().valueEquals(HttpHeaders.CONTENT_RANGE, "bytes 1000-1999/" + wav.length)
                .expectBody(byte[].class).returnResult().getResponseBody();
        assertThat(part).isEqualTo(Arrays.copyOfRange(wav, 1000, 2000));
        byte[] tail = web.get().uri(url).header(HttpHeaders.RANGE, "bytes=-10").exchange()
                .expectStatus().isEqualTo(206).expectBody(byte[].class).returnResult().getResponseBody();
        assertThat(tail).isEqualTo(Arrays.copyOfRange(wav, wav.length - 10, wav.length));
        web.get().uri(url).header(HttpHeaders.RANGE, "bytes=" + wav.length + "-").exchange()
                .expectStatus().isEqualTo(416)
                .expectHeader().valueEquals(HttpHeaders.CONTENT_RANGE, "bytes */" + wav.length);
    }

    @Test
    void refusesWhatIsNotAnAllowedImageOrAudio_andKeepsNothingOfIt() {
        long before = storedFiles();
        String svg = "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>";
        upload("alice", svg.getBytes(StandardCharsets.UTF_8), "cat.png", MediaType.IMAGE_PNG).expectStatus().isEqualTo(415);
        upload("alice", "<!DOCTYPE html><html><body>hi</body></html>".getBytes(StandardCharsets.UTF_8), "cat.jpg",
                MediaType.IMAGE_JPEG).expectStatus().isEqualTo(415);
        byte[] fakePng = Arrays.copyOf(png(10, 10, false), 200);
        Arrays.fill(fakePng, 40, 200, (byte) 7); // a PNG signature and header, then garbage
        upload("alice", fakePng, "cat.png", MediaType.IMAGE_PNG).expectStatus().isBadRequest();
        upload("alice", MediaSamples.hugePngHeader(100_000, 100_000), "bomb.png", MediaType.IMAGE_PNG).expectStatus().isEqualTo(413);
        upload("alice", MediaSamples.noisePng(700, 700), "big.png", MediaType.IMAGE_PNG).expectStatus().isEqualTo(413);
        upload("alice", wav(150_000), "long.wav", MediaType.APPLICATION_OCTET_STREAM).expectStatus().isEqualTo(413);
        upload("alice", new byte[0], "empty.png", MediaType.IMAGE_PNG).expectStatus().isBadRequest();

        assertThat(storedFiles()).isEqualTo(before);
        web.post().uri("/api/media").contentType(MediaType.MULTIPART_FORM_DATA)
                .body(BodyInserters.fromMultipartData(new MultipartBodyBuilder().build()))
                .exchange().expectStatus().isUnauthorized();
    }

    @Test
    void neverUsesTheClientsFileName() {
        Map<String, Object> uploaded = upload("alice", png(20, 20, false), "../../../etc/passwd.png", MediaType.IMAGE_PNG)
                .expectStatus().isCreated().expectBody(MAP).returnResult().getResponseBody();
        String id = (String) uploaded.get("id");
        assertThat(uploaded.toString()).doesNotContain("passwd").doesNotContain("..");
        assertThat(mongo.count(Query.query(Criteria.where("filename").is(id)), "fs.files").block(WAIT)).isEqualTo(1);
        assertThat(mongo.count(Query.query(Criteria.where("filename").regex("passwd")), "fs.files").block(WAIT)).isZero();
    }

    @Test
    void refusesTamperedAndExpiredLinks() {
        Map<String, Object> uploaded = upload("alice", png(20, 20, false), "a.png", MediaType.IMAGE_PNG)
                .expectStatus().isCreated().expectBody(MAP).returnResult().getResponseBody();
        String id = (String) uploaded.get("id");
        String url = (String) uploaded.get("url");

        web.get().uri(url.replace("sig=", "sig=x")).exchange().expectStatus().isForbidden();
        web.get().uri(url.replace("exp=", "exp=1")).exchange().expectStatus().isForbidden();
        web.get().uri("/api/media/" + id).exchange().expectStatus().isForbidden();
        web.get().uri(url + "&v=other").exchange().expectStatus().is4xxClientError();
        MediaUrls past = new MediaUrls(Base64.getDecoder().decode(URL_KEY), Duration.ofMinutes(1),
                Clock.fixed(Instant.now().minus(Duration.ofMinutes(10)), ZoneOffset.UTC));
        String expired = past.present(new io.wxim.protocol.ServerFrame.Media(id, "image/png", 1, 1, 1, null, null, null, null)).url();
        web.get().uri(expired).exchange().expectStatus().isForbidden();
    }

    @Test
    void onlyTheUploaderSendsIt_andOnlyMembersOfAConversationItWasSentToGetLinks() {
        String conv = "r:media" + UUID.randomUUID().toString().substring(0, 6);
        FAKES.addMember(conv, "alice");
        FAKES.addMember(conv, "bob");
        String id = (String) upload("alice", png(30, 20, false), "a.png", MediaType.IMAGE_PNG).expectStatus().isCreated()
                .expectBody(MAP).returnResult().getResponseBody().get("id");

        links(id, "alice", null).expectStatus().isOk();
        links(id, "bob", conv).expectStatus().isNotFound(); // not sent there yet

        assertThatThrownBy(() -> messages.store(image(conv, "bob", "b1", id)).block(WAIT))
                .isInstanceOf(MediaNotFoundException.class);
        assertThatThrownBy(() -> messages.store(NewMessage.of(conv, "alice", null, null, "a0", "audio", null, id, 1000, 4000))
                .block(WAIT)).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> messages.store(image(conv, "alice", "a1", "no-such-media")).block(WAIT))
                .isInstanceOf(MediaNotFoundException.class);

        StoredMessage stored = messages.store(image(conv, "alice", "a2", id)).block(WAIT);
        assertThat(stored.media().id()).isEqualTo(id);
        assertThat(stored.media().width()).isEqualTo(30);

        Map<String, Object> bobs = links(id, "bob", conv).expectStatus().isOk().expectBody(MAP).returnResult().getResponseBody();
        web.get().uri((String) bobs.get("thumbUrl")).exchange().expectStatus().isOk();
        links(id, "carol", conv).expectStatus().isNotFound(); // not a member
        links(id, "bob", null).expectStatus().isNotFound();
        links(id, "bob", "r:elsewhere").expectStatus().isNotFound();

        // history (as a member) carries the media with fresh links
        String history = web.get().uri("/api/history/" + conv).header(HttpHeaders.AUTHORIZATION, "Bearer " + FAKES.token("bob"))
                .exchange().expectStatus().isOk().expectBody(String.class).returnResult().getResponseBody();
        assertThat(history).contains("\"kind\":\"image\"").contains("\"url\":\"/api/media/" + id + "?exp=")
                .contains("\"thumbUrl\"");
    }

    /**
     * A picture sent in a room and in a direct chat, then recalled in the room: the room's members get no more links
     * (404, as for a non-member), though the file stays for the direct chat, whose members still get them, and so does
     * the uploader.
     */
    @Test
    void aRecallEndsTheLinksOfThatConversation_whileTheFileStaysForAnother() {
        String suffix = UUID.randomUUID().toString().substring(0, 6);
        String room = "r:shown" + suffix;
        String direct = "d:shown" + suffix;
        FAKES.addMember(room, "alice");
        FAKES.addMember(room, "bob");
        FAKES.addMember(direct, "alice");
        FAKES.addMember(direct, "dave");
        String id = uploadPicture();
        var inRoom = messages.store(image(room, "alice", "p1", id)).block(WAIT);
        messages.store(image(direct, "alice", "p2", id)).block(WAIT);
        links(id, "bob", room).expectStatus().isOk();

        messages.recall(room, inRoom.seq(), ALICE, 0).block(WAIT);

        assertThat(stored(id)).as("kept: the direct chat still shows it").isTrue();
        links(id, "bob", room).expectStatus().isNotFound();
        links(id, "dave", direct).expectStatus().isOk();
        links(id, "alice", null).expectStatus().isOk();
        links(id, "alice", room).expectStatus().isOk();
    }

    /** Two {@code file} parts: 400 at the second, before it is stored; the first is deleted before the answer. */
    @Test
    void refusesASecondFilePart_andKeepsNoFileOfTheUpload() {
        long files = storedFiles();
        MultipartBodyBuilder body = new MultipartBodyBuilder();
        body.part("file", png(20, 20, false)).filename("one.png").contentType(MediaType.IMAGE_PNG);
        body.part("file", png(22, 22, false)).filename("two.png").contentType(MediaType.IMAGE_PNG);
        web.post().uri("/api/media")
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + FAKES.token("twofiles"))
                .contentType(MediaType.MULTIPART_FORM_DATA)
                .body(BodyInserters.fromMultipartData(body.build()))
                .exchange()
                .expectStatus().isBadRequest()
                .expectBody(String.class).value(problem -> assertThat(problem).contains("one file per upload"));

        assertThat(storedFiles()).as("no GridFS file left").isEqualTo(files);
        assertThat(mongo.count(Query.query(Criteria.where("owner").is("twofiles")), "media").block(WAIT))
                .as("no media record left").isZero();
        upload("twofiles", png(20, 20, false), "one.png", MediaType.IMAGE_PNG).expectStatus().isCreated();
    }

    @Test
    void deletesUploadsNeverSentAfterTheOrphanTtl_andKeepsSentOnes() throws Exception {
        String conv = "r:orph" + UUID.randomUUID().toString().substring(0, 6);
        String orphan = (String) upload("alice", png(10, 10, false), "o.png", MediaType.IMAGE_PNG).expectStatus().isCreated()
                .expectBody(MAP).returnResult().getResponseBody().get("id");
        String sent = (String) upload("alice", png(12, 12, false), "s.png", MediaType.IMAGE_PNG).expectStatus().isCreated()
                .expectBody(MAP).returnResult().getResponseBody().get("id");
        messages.store(image(conv, "alice", "s1", sent)).block(WAIT);

        Thread.sleep(1100); // the orphan TTL of this test is 1s
        sweeper.sweep().block(WAIT);

        assertThat(mongo.count(Query.query(Criteria.where("filename").is(orphan)), "fs.files").block(WAIT)).isZero();
        assertThat(mongo.count(Query.query(Criteria.where("_id").is(orphan)), "media").block(WAIT)).isZero();
        assertThat(mongo.count(Query.query(Criteria.where("filename").is(sent)), "fs.files").block(WAIT)).isEqualTo(1);
        links(orphan, "alice", null).expectStatus().isNotFound();
        links(sent, "alice", null).expectStatus().isOk();
    }

    /**
     * Recalling the only message that shows a picture deletes its record and its bytes; a retried send of that message
     * (same cmid) still answers its original, recalled, instead of "no such media".
     */
    @Test
    void aRecallDeletesThePicturesRecordAndBytes_andARetriedSendStillFindsItsOriginal() {
        String conv = "r:rec" + UUID.randomUUID().toString().substring(0, 6);
        String id = (String) upload("alice", png(14, 14, false), "r.png", MediaType.IMAGE_PNG).expectStatus().isCreated()
                .expectBody(MAP).returnResult().getResponseBody().get("id");
        var stored = messages.store(image(conv, "alice", "r1", id)).block(WAIT);
        assertThat(mongo.count(Query.query(Criteria.where("filename").is(id)), "fs.files").block(WAIT)).isEqualTo(1);
        String url = (String) links(id, "alice", null).expectStatus().isOk().expectBody(MAP).returnResult()
                .getResponseBody().get("url");
        String etag = web.get().uri(url).exchange().expectStatus().isOk().returnResult(byte[].class)
                .getResponseHeaders().getETag();
        web.get().uri(url).header(HttpHeaders.IF_NONE_MATCH, etag).exchange().expectStatus().isNotModified();

        messages.recall(conv, stored.seq(), new io.wxim.protocol.UserRef("alice", null, null), 0).block(WAIT);

        // a cached copy of a recalled picture is not confirmed
        web.get().uri(url).header(HttpHeaders.IF_NONE_MATCH, etag).exchange().expectStatus().isNotFound();

        assertThat(mongo.count(Query.query(Criteria.where("filename").is(id)), "fs.files").block(WAIT)).isZero();
        assertThat(mongo.count(Query.query(Criteria.where("_id").is(id)), "media").block(WAIT)).isZero();
        links(id, "alice", null).expectStatus().isNotFound();
        var again = messages.store(image(conv, "alice", "r1", id)).block(WAIT);
        assertThat(again.duplicate()).isTrue();
        assertThat(again.recalled()).isTrue();
        assertThat(again.seq()).isEqualTo(stored.seq());
    }

    /**
     * The same picture sent again while its first message is recalled: the second send claimed it, but its message is
     * not stored yet (so nothing is seen to show the file): the recall keeps the file, also after a late retry of the
     * first message claimed it again; once stored, the second message shows it. Recalling it then deletes the file. A
     * released file cannot be claimed.
     */
    @Test
    void aRecallKeepsAFileClaimedByAMessageNotStoredYet_andAReleasedFileCannotBeClaimed() {
        String conv = "r:again" + UUID.randomUUID().toString().substring(0, 6);
        String id = uploadPicture();
        var first = messages.store(image(conv, "alice", "a1", id)).block(WAIT);
        claims.claim(image(conv, "alice", "a2", id)).block(WAIT); // the second send, its message not stored yet
        claims.claim(image(conv, "alice", "a1", id)).block(WAIT); // a late retry of the first

        messages.recall(conv, first.seq(), ALICE, 0).block(WAIT);

        assertThat(stored(id)).as("kept for the message being stored").isTrue();
        links(id, "alice", null).expectStatus().isOk();
        var second = messages.store(image(conv, "alice", "a2", id)).block(WAIT);
        assertThat(second.media().id()).isEqualTo(id);
        messages.recall(conv, second.seq(), ALICE, 0).block(WAIT);
        assertThat(stored(id)).as("deleted with the last message showing it").isFalse();

        String other = uploadPicture();
        messages.store(image(conv, "alice", "b1", other)).block(WAIT);
        var seen = claims.claimsOf(other).block(WAIT);
        assertThat(seen.keys()).hasSize(1);
        claims.claim(image(conv, "alice", "b1", other)).block(WAIT); // a retry of its message, claimed after the read
        assertThat(claims.release(other, seen).block(WAIT)).as("a claim since the read keeps it").isFalse();
        assertThat(mediaRepository.markReleased(other, claims.claimsOf(other).block(WAIT)).block(WAIT)).isTrue();
        assertThat(mediaRepository.markUsed(other, conv, io.wxim.history.message.MediaClaims.claimKey(conv, "alice", "b2"), 1L)
                .block(WAIT)).as("a released file is not claimed").isFalse();
    }

    /**
     * One picture in two messages, in two conversations, recalled oldest first or newest first: the file goes with the
     * last of them, whichever it is; so does one claimed before claims were recorded.
     */
    @Test
    void aFileSentTwiceGoesWithTheLastOfItsMessagesRecalled_inEitherOrder() {
        String conv = "r:twice" + UUID.randomUUID().toString().substring(0, 6);
        String elsewhere = conv + "b";
        for (boolean newestFirst : new boolean[] {true, false}) {
            String id = uploadPicture();
            var older = messages.store(image(conv, "alice", "o" + newestFirst, id)).block(WAIT);
            var newer = messages.store(image(elsewhere, "alice", "n" + newestFirst, id)).block(WAIT);
            var firstRecalled = newestFirst ? newer : older;
            var lastRecalled = newestFirst ? older : newer;
            messages.recall(firstRecalled.conv(), firstRecalled.seq(), ALICE, 0).block(WAIT);
            assertThat(stored(id)).as("kept while a message shows it").isTrue();
            messages.recall(lastRecalled.conv(), lastRecalled.seq(), ALICE, 0).block(WAIT);
            assertThat(stored(id)).as("deleted with the last (newest first: %s)", newestFirst).isFalse();
        }
        String legacy = uploadPicture();
        var old = messages.store(image(conv, "alice", "legacy", legacy)).block(WAIT);
        mongo.updateFirst(Query.query(Criteria.where("_id").is(legacy)), new Update().unset("claims").unset("lastClaimAt"), "media").block(WAIT);
        messages.recall(conv, old.seq(), ALICE, 0).block(WAIT);
        assertThat(stored(legacy)).as("a file claimed before claims were recorded").isFalse();
    }

    /**
     * A claim whose message was never stored (its store failed and was not retried) holds the file back only for the
     * claim grace: a recall after that deletes it.
     */
    @Test
    void aClaimWhoseMessageWasNeverStoredIsGivenUpAfterTheGrace() {
        String conv = "r:gone" + UUID.randomUUID().toString().substring(0, 6);
        String id = uploadPicture();
        var shown = messages.store(image(conv, "alice", "g1", id)).block(WAIT);
        claims.claim(image(conv, "alice", "g2", id)).block(WAIT); // never stored
        long longAgo = System.currentTimeMillis() - java.time.Duration.ofMinutes(11).toMillis();
        mongo.updateFirst(Query.query(Criteria.where("_id").is(id)), new Update().set("lastClaimAt", longAgo), "media").block(WAIT);

        messages.recall(conv, shown.seq(), ALICE, 0).block(WAIT);

        assertThat(stored(id)).as("the claim never stored was given up").isFalse();
    }

    /**
     * A file a recall could not release (a claim's message not stored yet) stays held for the orphan sweep: kept while
     * the claim is recent, released once it is given up; one whose claimed message got stored meanwhile stays, and is
     * no longer held. The sweep leaves young holds alone (a recall may still be settling them), and removes only the
     * holds it read.
     */
    @Test
    void theSweepReleasesAFileARecallKept_onceItsUnstoredClaimIsGivenUp() {
        String conv = "r:later" + UUID.randomUUID().toString().substring(0, 6);
        String id = uploadPicture();
        var shown = messages.store(image(conv, "alice", "l1", id)).block(WAIT);
        claims.claim(image(conv, "alice", "l2", id)).block(WAIT); // never stored
        String kept = uploadPicture();
        var keptShown = messages.store(image(conv, "alice", "k1", kept)).block(WAIT);
        claims.claim(image(conv, "alice", "k2", kept)).block(WAIT); // stored later

        messages.recall(conv, shown.seq(), ALICE, 0).block(WAIT);
        messages.recall(conv, keptShown.seq(), ALICE, 0).block(WAIT);
        assertThat(pending(id)).as("held: a claim's message is not stored").isTrue();
        assertThat(pending(kept)).isTrue();
        messages.store(image(conv, "alice", "k2", kept)).block(WAIT);
        sweeper.sweep().block(WAIT);
        assertThat(pending(kept)).as("a young hold is left to its recall").isTrue();

        age(id);
        age(kept);
        claims.hold(kept).block(WAIT); // held again (another recall) after the sweep read it
        sweeper.sweep().block(WAIT);
        assertThat(stored(id)).as("kept while the claim is recent").isTrue();
        assertThat(pending(id)).isTrue();
        assertThat(pending(kept)).as("the sweep removes only the holds it read").isTrue();

        long longAgo = System.currentTimeMillis() - java.time.Duration.ofMinutes(11).toMillis();
        mongo.updateFirst(Query.query(Criteria.where("_id").is(id)), new Update().set("lastClaimAt", longAgo), "media").block(WAIT);
        age(kept);
        sweeper.sweep().block(WAIT);
        assertThat(stored(id)).as("released by the sweep once the claim was given up").isFalse();
        assertThat(stored(kept)).as("shown by the message stored since").isTrue();
        assertThat(pending(kept)).as("no longer held").isFalse();
    }

    /**
     * A file claimed by more than 1,000 messages (not checked claim by claim): kept while a claim is recent, released by
     * the sweep once every claim is old enough that one never stored was given up.
     */
    @Test
    void aFileClaimedByMoreThanAThousandMessages_goesOnceAllItsClaimsAreOld() {
        String conv = "r:many" + UUID.randomUUID().toString().substring(0, 6);
        String id = uploadPicture();
        var shown = messages.store(image(conv, "alice", "m0", id)).block(WAIT);
        Object[] many = java.util.stream.IntStream.range(1, 1001)
                .mapToObj(i -> io.wxim.history.message.MediaClaims.claimKey(conv, "alice", "m" + i)).toArray();
        mongo.updateFirst(Query.query(Criteria.where("_id").is(id)), new Update().addToSet("claims").each(many), "media").block(WAIT);

        messages.recall(conv, shown.seq(), ALICE, 0).block(WAIT);
        assertThat(stored(id)).as("kept while a claim is recent").isTrue();
        assertThat(pending(id)).as("held for the sweep").isTrue();

        long longAgo = System.currentTimeMillis() - java.time.Duration.ofMinutes(11).toMillis();
        mongo.updateFirst(Query.query(Criteria.where("_id").is(id)), new Update().set("lastClaimAt", longAgo), "media").block(WAIT);
        age(id);
        sweeper.sweep().block(WAIT);
        assertThat(stored(id)).as("released once every claim is old").isFalse();
    }

    /** A recall that stopped after it held the file and recalled the message (the process died): the sweep finishes. */
    @Test
    void aRecallThatStoppedAfterRecallingTheMessage_isFinishedByTheSweep() {
        String conv = "r:died" + UUID.randomUUID().toString().substring(0, 6);
        String id = uploadPicture();
        var shown = messages.store(image(conv, "alice", "d1", id)).block(WAIT);
        assertThat(claims.hold(id).block(WAIT)).isNotNull();
        recalledWithoutRelease(conv, shown.seq());

        sweeper.sweep().block(WAIT);
        assertThat(stored(id)).as("a young hold is left to its recall").isTrue();
        age(id);
        sweeper.sweep().block(WAIT);
        assertThat(stored(id)).as("released by the sweep").isFalse();
    }

    /**
     * A hold written by the build of 2026-12-05 (one string in {@code releasePending}; older instances may still write
     * it during a rollout) does not stop a recall from holding the file, and the sweep settles it, unless it was
     * written again after the sweep read it.
     */
    @Test
    void aHoldWrittenByTheOlderBuild_doesNotBlockARecall_andIsSettledByTheSweep() {
        String conv = "r:old" + UUID.randomUUID().toString().substring(0, 6);
        String id = uploadPicture();
        var shown = messages.store(image(conv, "alice", "o1", id)).block(WAIT);
        String older = new org.bson.types.ObjectId().toHexString();
        mongo.updateFirst(Query.query(Criteria.where("_id").is(id)), new Update().set("releasePending", older), "media").block(WAIT);
        assertThat(claims.hold(id).block(WAIT)).as("a recall can hold it").isNotNull();

        var seen = mediaRepository.held(Instant.now(), 1000).filter(p -> p.id().equals(id)).blockFirst(WAIT);
        assertThat(seen.legacyMark()).isEqualTo(older);
        mongo.updateFirst(Query.query(Criteria.where("_id").is(id)), new Update().set("releasePending", "again"), "media").block(WAIT);
        mediaRepository.removeHolds(seen).block(WAIT);
        assertThat(mongo.count(Query.query(Criteria.where("_id").is(id).and("releasePending").is("again")), "media")
                .block(WAIT)).as("written again after the read: kept").isEqualTo(1);

        recalledWithoutRelease(conv, shown.seq());
        sweeper.sweep().block(WAIT);
        assertThat(stored(id)).as("settled by the sweep at once").isFalse();
    }

    /** The sweep's indexes are created at start. */
    @Test
    void theMediaIndexesAreCreatedAtStart() throws InterruptedException {
        java.util.List<String> names = java.util.List.of();
        for (int i = 0; i < 100 && !names.containsAll(java.util.List.of("used_createdAt", "released", "releaseHolds", "releasePending")); i++) {
            Thread.sleep(50);
            names = mongo.indexOps("media").getIndexInfo().map(org.springframework.data.mongodb.core.index.IndexInfo::getName)
                    .collectList().block(WAIT);
        }
        assertThat(names).contains("used_createdAt", "released", "releaseHolds", "releasePending");
    }

    /** Marks the message recalled directly, as a recall that stopped before its release would have left it. */
    private void recalledWithoutRelease(String conv, long seq) {
        mongo.updateFirst(Query.query(Criteria.where("conv").is(conv).and("seq").is(seq)),
                new Update().set("recalled", true).unset("body"), "messages").block(WAIT);
    }

    /** Makes the file's holds old enough for the sweep to settle (as if their recalls ended long ago). */
    private void age(String id) {
        Instant longAgo = Instant.now().minus(Duration.ofHours(1));
        mongo.updateFirst(Query.query(Criteria.where("_id").is(id)), new Update().set("releaseHolds",
                java.util.List.of(org.bson.types.ObjectId.getSmallestWithDate(java.util.Date.from(longAgo)))), "media").block(WAIT);
    }

    private boolean pending(String id) {
        return mongo.count(Query.query(Criteria.where("_id").is(id).and("releaseHolds").exists(true)), "media").block(WAIT) > 0;
    }

    private static final io.wxim.protocol.UserRef ALICE = new io.wxim.protocol.UserRef("alice", null, null);

    private String uploadPicture() {
        return (String) upload("alice", png(16, 16, false), "x.png", MediaType.IMAGE_PNG).expectStatus().isCreated()
                .expectBody(MAP).returnResult().getResponseBody().get("id");
    }

    /** Whether the file's bytes and record are still stored. */
    private boolean stored(String id) {
        long bytes = mongo.count(Query.query(Criteria.where("filename").is(id)), "fs.files").block(WAIT);
        long record = mongo.count(Query.query(Criteria.where("_id").is(id)), "media").block(WAIT);
        assertThat(bytes).as("bytes and record go together").isEqualTo(record);
        return record > 0;
    }

    /** A recall's delete interrupted after the file was marked released: not found at once, finished by the sweep. */
    @Test
    void aReleasedFileIsNotFound_andTheSweepFinishesAnInterruptedDeletion() {
        String conv = "r:rel" + UUID.randomUUID().toString().substring(0, 6);
        String id = (String) upload("alice", png(16, 16, false), "x.png", MediaType.IMAGE_PNG).expectStatus().isCreated()
                .expectBody(MAP).returnResult().getResponseBody().get("id");
        messages.store(image(conv, "alice", "x1", id)).block(WAIT);
        links(id, "alice", null).expectStatus().isOk();

        assertThat(mediaRepository.markReleased(id, claims.claimsOf(id).block(WAIT)).block(WAIT)).isTrue(); // then the process died

        links(id, "alice", null).expectStatus().isNotFound();
        assertThatThrownBy(() -> messages.store(image(conv, "alice", "x2", id)).block(WAIT))
                .as("a released file cannot be sent again").isInstanceOf(MediaNotFoundException.class);
        sweeper.sweep().block(WAIT);
        assertThat(mongo.count(Query.query(Criteria.where("filename").is(id)), "fs.files").block(WAIT)).isZero();
        assertThat(mongo.count(Query.query(Criteria.where("_id").is(id)), "media").block(WAIT)).isZero();
    }

    private static final ParameterizedTypeReference<Map<String, Object>> MAP = new ParameterizedTypeReference<>() {
    };

    private static NewMessage image(String conv, String from, String cmid, String mediaId) {
        return NewMessage.of(conv, from, null, null, cmid, "image", null, mediaId, null, 4000);
    }

    private WebTestClient.ResponseSpec upload(String user, byte[] content, String filename, MediaType declared) {
        MultipartBodyBuilder body = new MultipartBodyBuilder();
        body.part("file", content).filename(filename).contentType(declared);
        body.part("note", "form fields are ignored");
        return web.post().uri("/api/media")
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + FAKES.token(user))
                .contentType(MediaType.MULTIPART_FORM_DATA)
                .body(BodyInserters.fromMultipartData(body.build()))
                .exchange();
    }

    private WebTestClient.ResponseSpec links(String id, String user, String conv) {
        return web.get().uri("/api/media/" + id + "/url" + (conv == null ? "" : "?conv=" + conv))
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + FAKES.token(user)).exchange();
    }

    private long storedFiles() {
        return mongo.count(new Query(), "fs.files").block(WAIT);
    }

    private static byte[] png(int width, int height, boolean alpha) {
        return MediaSamples.png(width, height, alpha);
    }

    private static byte[] wav(int dataBytes) {
        return MediaSamples.wav(dataBytes);
    }
}
