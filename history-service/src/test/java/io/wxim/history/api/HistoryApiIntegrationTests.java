package io.wxim.history.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import io.wxim.history.FakeAuthAndChat;
import io.wxim.history.message.MessageService;
import io.wxim.history.message.NewMessage;
import io.wxim.testinfra.TestInfra;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

/**
 * The public history API with real JWT verification: a tiny JWKS endpoint and a fake chat-service membership
 * endpoint run on one reactor-netty server in the test; tokens are signed with a test RSA key.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"spring.config.name=history-service", "management.server.port=0",
                "im.history.max-page-size=5", "im.history.history-page-size=3", "im.history.chat-timeout=500ms"})
@AutoConfigureWebTestClient(timeout = "10s")
class HistoryApiIntegrationTests {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final String ALICE = "alice";
    private static final String MALLORY = "mallory";
    /** The fake chat-service answers 500 for this user, and never answers for SLOW. */
    private static final String BROKEN = FakeAuthAndChat.BROKEN;
    private static final String SLOW = FakeAuthAndChat.SLOW;

    private static final FakeAuthAndChat FAKES = new FakeAuthAndChat();
    private static final RSAKey SIGNING_KEY = FAKES.signingKey();
    private static final RSAKey UNKNOWN_KEY = FakeAuthAndChat.generateKey("k1");
    private static final Set<String> MEMBERS = FAKES.members();

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        String base = FAKES.baseUrl();
        registry.add("spring.mongodb.uri", () -> TestInfra.mongoUri("im_history_test_public_" + UUID.randomUUID()
                .toString().substring(0, 8)));
        registry.add("spring.security.oauth2.resourceserver.jwt.jwk-set-uri", () -> base + "/jwks");
        registry.add("im.history.chat-base-url", () -> base);
    }

    @AfterAll
    static void stopFakes() {
        FAKES.close();
    }

    @Autowired
    private WebTestClient web;

    @Autowired
    private MessageService messages;

    private String conv;

    /** A conversation with 7 messages (seq 1..7) of which alice, broken and slow are members. */
    @BeforeEach
    void seedConversation() {
        conv = "r:pub" + UUID.randomUUID().toString().substring(0, 8);
        MEMBERS.add(conv + "|" + ALICE);
        MEMBERS.add(conv + "|" + BROKEN);
        MEMBERS.add(conv + "|" + SLOW);
        StepVerifier.create(Flux.range(1, 7)
                        .concatMap(i -> messages.store(NewMessage.of(conv, "bob", "Bob", null, "c" + i, "text", "m" + i, 4000)))
                        .count())
                .expectNext(7L)
                .expectComplete()
                .verify(TIMEOUT);
    }

    @Test
    void returnsNewestPage_whenMemberGivesNoBounds() {
        history("", token(ALICE))
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.conv").isEqualTo(conv)
                .jsonPath("$.messages[*].seq").isEqualTo(List.of(5, 6, 7))
                // ServerFrame.Message carries its type id, so chat-service can decode it as the shared record.
                .jsonPath("$.messages[0].type").isEqualTo("message")
                .jsonPath("$.messages[0].id").isNotEmpty()
                .jsonPath("$.messages[0].from.id").isEqualTo("bob")
                .jsonPath("$.messages[0].from.nickname").isEqualTo("Bob")
                .jsonPath("$.messages[0].cmid").isEqualTo("c5")
                .jsonPath("$.messages[0].kind").isEqualTo("text")
                .jsonPath("$.messages[0].body").isEqualTo("m5")
                .jsonPath("$.messages[0].ts").isNumber()
                .jsonPath("$.more").isEqualTo(true);
    }

    @Test
    void servesRecalledMessageWithoutBody_andTheRecallNotice_whenSenderRecalledIt() {
        StepVerifier.create(messages.recall(conv, 6, new io.wxim.protocol.UserRef("bob", "Bob", null), 0))
                .assertNext(recalled -> assertThat(recalled.target().recalled()).isTrue())
                .expectComplete()
                .verify(TIMEOUT);

        history("?before=9&limit=4", token(ALICE))
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.messages[*].seq").isEqualTo(List.of(5, 6, 7, 8))
                .jsonPath("$.messages[0].body").isEqualTo("m5")
                .jsonPath("$.messages[0].recalled").doesNotExist()
                .jsonPath("$.messages[1].recalled").isEqualTo(true)
                .jsonPath("$.messages[1].body").doesNotExist()
                .jsonPath("$.messages[1].cmid").isEqualTo("c6")
                .jsonPath("$.messages[2].body").isEqualTo("m7")
                .jsonPath("$.messages[3].kind").isEqualTo("recall")
                .jsonPath("$.messages[3].body").isEqualTo("6")
                .jsonPath("$.messages[3].from.nickname").isEqualTo("Bob");
    }

    @Test
    void returnsPageRightAfterBound_whenAfterGiven() {
        history("?after=2&limit=3", token(ALICE))
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.messages[*].seq").isEqualTo(List.of(3, 4, 5))
                .jsonPath("$.more").isEqualTo(true);
        history("?after=5&limit=3", token(ALICE))
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.messages[*].seq").isEqualTo(List.of(6, 7))
                .jsonPath("$.more").isEqualTo(false);
    }

    @Test
    void returnsPageRightBeforeBound_whenBeforeGiven() {
        history("?before=6&limit=2", token(ALICE))
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.messages[*].seq").isEqualTo(List.of(4, 5))
                .jsonPath("$.more").isEqualTo(true);
        history("?before=3&limit=5", token(ALICE))
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.messages[*].seq").isEqualTo(List.of(1, 2))
                .jsonPath("$.more").isEqualTo(false);
    }

    @Test
    void capsLimitAtMaxPageSize_whenLimitTooLarge() {
        history("?after=0&limit=1000", token(ALICE))
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.messages[*].seq").isEqualTo(List.of(1, 2, 3, 4, 5))
                .jsonPath("$.more").isEqualTo(true);
    }

    @Test
    void rejectsWithBadRequest_whenBothBoundsGiven() {
        history("?after=1&before=5", token(ALICE))
                .expectStatus().isBadRequest()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody().jsonPath("$.status").isEqualTo(400);
    }

    @Test
    void answersSameNotFound_whenNotMemberOrConversationMalformed() {
        Map<?, ?> notMember = notFoundBody("/api/history/" + conv, token(MALLORY));
        Map<?, ?> malformed = notFoundBody("/api/history/not-a-conv", token(ALICE));

        assertThat(notMember.keySet()).isEqualTo(malformed.keySet());
        for (String field : List.of("type", "title", "status", "detail")) {
            assertThat(notMember.get(field)).as(field).isEqualTo(malformed.get(field));
        }
        assertThat(notMember.get("detail")).isEqualTo("conversation not found");
    }

    @Test
    void answers503_whenChatServiceFailsOrTimesOut() {
        history("", token(BROKEN))
                .expectStatus().isEqualTo(503)
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                .expectHeader().exists(HttpHeaders.RETRY_AFTER);
        history("", token(SLOW))
                .expectStatus().isEqualTo(503)
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON);
    }

    @Test
    void answers401_whenTokenMissingOrInvalid() {
        web.get().uri("/api/history/{conv}", conv).exchange().expectStatus().isUnauthorized();
        history("", "not-a-jwt").expectStatus().isUnauthorized();
        history("", sign(SIGNING_KEY, claims(ALICE, "someone-else", Instant.now().plusSeconds(300)))).expectStatus().isUnauthorized();
        history("", sign(SIGNING_KEY, claims(ALICE, "wxim", Instant.now().minusSeconds(600)))).expectStatus().isUnauthorized();
        history("", sign(UNKNOWN_KEY, claims(ALICE, "wxim", Instant.now().plusSeconds(300)))).expectStatus().isUnauthorized();
        history("", token(ALICE)).expectStatus().isOk();
    }

    @Test
    void deniesOtherPaths_andLeavesInternalOpen() {
        web.get().uri("/elsewhere").exchange().expectStatus().is4xxClientError();
        web.get().uri("/internal/conversations/{conv}/messages", conv).exchange().expectStatus().isOk();
    }

    private WebTestClient.ResponseSpec history(String query, String token) {
        return web.get().uri("/api/history/" + conv + query)
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + token)
                .exchange();
    }

    private Map<?, ?> notFoundBody(String path, String token) {
        return web.get().uri(path).header(HttpHeaders.AUTHORIZATION, "Bearer " + token)
                .exchange()
                .expectStatus().isNotFound()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody(Map.class)
                .returnResult()
                .getResponseBody();
    }

    private static String token(String subject) {
        return FAKES.token(subject);
    }

    private static JWTClaimsSet claims(String subject, String audience, Instant expires) {
        return FakeAuthAndChat.claims(subject, audience, expires);
    }

    private static String sign(RSAKey key, JWTClaimsSet claims) {
        return FakeAuthAndChat.sign(key, claims);
    }
}
