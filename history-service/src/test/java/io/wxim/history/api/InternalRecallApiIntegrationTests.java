package io.wxim.history.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.testinfra.TestInfra;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

/** {@code POST /internal/conversations/{conv}/messages/{seq}/recall} over HTTP, with a real store below. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"spring.config.name=history-service", "management.server.port=0"})
@AutoConfigureWebTestClient(timeout = "10s")
@Timeout(120)
class InternalRecallApiIntegrationTests {
    private static final long MINUTE = 60_000;

    @DynamicPropertySource
    static void mongo(DynamicPropertyRegistry registry) {
        registry.add("spring.mongodb.uri", () -> TestInfra.mongoUri("im_history_test_recall_api_" + UUID.randomUUID()
                .toString().substring(0, 8)));
    }

    @Autowired
    private WebTestClient web;

    private String conv;

    @BeforeEach
    void newConversation() {
        conv = "r:rec" + UUID.randomUUID().toString().substring(0, 8);
    }

    @Test
    void recallsWithinWindow_andServesRecalledWithoutBody() {
        Map<?, ?> stored = store("u1", "c1", "secret");
        long ts = ((Number) stored.get("ts")).longValue();

        recall(1, "u1", ts - MINUTE)
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.conv").isEqualTo(conv)
                .jsonPath("$.seq").isEqualTo(1)
                .jsonPath("$.id").isEqualTo(stored.get("id"))
                .jsonPath("$.from.id").isEqualTo("u1")
                .jsonPath("$.cmid").isEqualTo("c1")
                .jsonPath("$.ts").isEqualTo(stored.get("ts"))
                .jsonPath("$.recalled").isEqualTo(true)
                .jsonPath("$.duplicate").isEqualTo(false)
                .jsonPath("$.body").doesNotExist()
                .jsonPath("$.notice.seq").isEqualTo(2)
                .jsonPath("$.notice.kind").isEqualTo("recall")
                .jsonPath("$.notice.body").isEqualTo("1")
                .jsonPath("$.notice.from.id").isEqualTo("u1")
                .jsonPath("$.notice.duplicate").isEqualTo(false);

        // A retry answers the same, even when the window has passed meanwhile. The body key is absent, not null.
        recall(1, "u1", ts + MINUTE)
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.recalled").isEqualTo(true)
                .jsonPath("$.seq").isEqualTo(1)
                .jsonPath("$.body").doesNotExist()
                .jsonPath("$.notice.seq").isEqualTo(2)
                .jsonPath("$.notice.duplicate").isEqualTo(true);

        web.get().uri("/internal/conversations/{conv}/messages?after=0", conv)
                .exchange()
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.messages.length()").isEqualTo(2)
                .jsonPath("$.messages[1].kind").isEqualTo("recall")
                .jsonPath("$.messages[0].type").isEqualTo("message")
                .jsonPath("$.messages[0].seq").isEqualTo(1)
                .jsonPath("$.messages[0].recalled").isEqualTo(true)
                .jsonPath("$.messages[0].body").doesNotExist();
        web.get().uri("/internal/conversations/{conv}/messages?after=0", conv)
                .exchange()
                .expectStatus().isOk()
                .expectBody(String.class)
                .value(json -> assertThat(json).doesNotContain("secret"));
    }

    @Test
    void returnsRecalledOriginal_whenSameClientMessageResentAfterRecall() {
        Map<?, ?> stored = store("u1", "c1", "oops");
        store("u2", "c2", "reply");
        recall(1, "u1", 0).expectStatus().isOk();

        Map<?, ?> again = store("u1", "c1", "oops");

        assertThat(again.get("duplicate")).isEqualTo(true);
        assertThat(again.get("recalled")).isEqualTo(true);
        assertThat(again.get("seq")).isEqualTo(stored.get("seq"));
        assertThat(again.get("id")).isEqualTo(stored.get("id"));
        assertThat(again.containsKey("body")).as("body present").isFalse();
        web.get().uri("/internal/conversations/{conv}/messages?after=0", conv)
                .exchange()
                .expectStatus().isOk()
                .expectBody().jsonPath("$.messages[*].seq").isEqualTo(List.of(1, 2, 3));
    }

    @Test
    void answersConflict_whenTheRecallNoticeIsRecalled() {
        store("u1", "c1", "secret");
        recall(1, "u1", 0).expectStatus().isOk();

        recall(2, "u1", 0)
                .expectStatus().isEqualTo(HttpStatus.CONFLICT)
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody()
                .jsonPath("$.detail").isEqualTo("a recall notice cannot be recalled");
        web.get().uri("/internal/conversations/{conv}/messages?after=1", conv)
                .exchange()
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.messages[0].kind").isEqualTo("recall")
                .jsonPath("$.messages[0].body").isEqualTo("1")
                .jsonPath("$.messages[0].recalled").doesNotExist();
    }

    @Test
    void forbidsAndLeavesMessage_whenAnotherUserRecalls() {
        store("u1", "c1", "mine");

        recall(1, "u2", 0)
                .expectStatus().isForbidden()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody()
                .jsonPath("$.status").isEqualTo(403)
                .jsonPath("$.detail").isEqualTo("not your message");
        assertUnchanged("mine");
    }

    @Test
    void answersGoneAndLeavesMessage_whenWindowHasPassed() {
        Map<?, ?> stored = store("u1", "c1", "old");
        long ts = ((Number) stored.get("ts")).longValue();

        recall(1, "u1", ts + 1)
                .expectStatus().isEqualTo(HttpStatus.GONE)
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody()
                .jsonPath("$.status").isEqualTo(410)
                .jsonPath("$.detail").isEqualTo("recall window has passed");
        assertUnchanged("old");
    }

    @Test
    void answersNotFound_whenNoSuchMessage() {
        store("u1", "c1", "only");

        for (String target : List.of(conv, conv + "x")) {
            web.post().uri("/internal/conversations/{conv}/messages/{seq}/recall", target, 7)
                    .contentType(MediaType.APPLICATION_JSON)
                    .bodyValue(Map.of("by", "u1", "notBefore", 0))
                    .exchange()
                    .expectStatus().isNotFound()
                    .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                    .expectBody()
                    .jsonPath("$.detail").isEqualTo("message not found");
        }
    }

    @Test
    void rejectsWithProblemDetail_whenRecallInvalid() {
        store("u1", "c1", "x");
        Map<String, Object> noBy = Map.of("notBefore", 0);
        Map<String, Object> noNotBefore = Map.of("by", "u1");
        Map<String, Object> nullBy = new HashMap<>();
        nullBy.put("by", null);
        nullBy.put("notBefore", 0);
        String longBy = "u".repeat(129);
        List<Object> bodies = List.of(noBy, noNotBefore, nullBy, Map.of("by", " ", "notBefore", 0),
                Map.of("by", longBy, "notBefore", 0), Map.of("by", "u1", "notBefore", "soon"), "{not json",
                Map.of("by", "u1", "nickname", longBy, "notBefore", 0));
        for (Object body : bodies) {
            web.post().uri("/internal/conversations/{conv}/messages/1/recall", conv)
                    .contentType(MediaType.APPLICATION_JSON).bodyValue(body)
                    .exchange()
                    .expectStatus().isBadRequest()
                    .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                    .expectBody(String.class)
                    .value(problem -> assertThat(problem).contains("\"status\":400").doesNotContain(longBy)
                            .doesNotContain("Exception"));
        }
        for (String path : List.of("/internal/conversations/nope/messages/1/recall",
                "/internal/conversations/" + conv + "/messages/0/recall",
                "/internal/conversations/" + conv + "/messages/-1/recall",
                "/internal/conversations/" + conv + "/messages/abc/recall")) {
            web.post().uri(path).contentType(MediaType.APPLICATION_JSON)
                    .bodyValue(Map.of("by", "u1", "notBefore", 0))
                    .exchange()
                    .expectStatus().isBadRequest()
                    .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON);
        }
        assertUnchanged("x");
    }

    private void assertUnchanged(String body) {
        web.get().uri("/internal/conversations/{conv}/messages?after=0", conv)
                .exchange()
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.messages[0].seq").isEqualTo(1)
                .jsonPath("$.messages[0].body").isEqualTo(body)
                .jsonPath("$.messages[0].recalled").doesNotExist();
    }

    private WebTestClient.ResponseSpec recall(long seq, String by, long notBefore) {
        return web.post().uri("/internal/conversations/{conv}/messages/{seq}/recall", conv, seq)
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("by", by, "notBefore", notBefore))
                .exchange();
    }

    private Map<?, ?> store(String from, String cmid, String body) {
        Map<?, ?> answer = web.post().uri("/internal/messages").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("conv", conv, "from", Map.of("id", from), "cmid", cmid, "kind", "text", "body", body))
                .exchange()
                .expectStatus().isOk()
                .expectBody(Map.class)
                .returnResult()
                .getResponseBody();
        assertThat(answer).isNotNull();
        return answer;
    }
}
