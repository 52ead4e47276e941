package io.wxim.history.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.testinfra.TestInfra;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"spring.config.name=history-service", "management.server.port=0"})
@AutoConfigureWebTestClient(timeout = "10s")
class InternalApiIntegrationTests {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @DynamicPropertySource
    static void mongo(DynamicPropertyRegistry registry) {
        registry.add("spring.mongodb.uri", () -> TestInfra.mongoUri("im_history_test_internal_" + UUID.randomUUID()
                .toString().substring(0, 8)));
    }

    @Autowired
    private WebTestClient web;

    @LocalManagementPort
    private int managementPort;

    private String conv;

    @BeforeEach
    void newConversation() {
        conv = "r:int" + UUID.randomUUID().toString().substring(0, 8);
    }

    @Test
    void storesMessageWithNextSeq_whenPosted() {
        web.post().uri("/internal/messages").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(message(conv, "u1", "c1", "hello"))
                .exchange()
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.conv").isEqualTo(conv)
                .jsonPath("$.seq").isEqualTo(1)
                .jsonPath("$.id").isNotEmpty()
                .jsonPath("$.from.id").isEqualTo("u1")
                .jsonPath("$.from.nickname").isEqualTo("Nick")
                .jsonPath("$.cmid").isEqualTo("c1")
                .jsonPath("$.kind").isEqualTo("text")
                .jsonPath("$.body").isEqualTo("hello")
                .jsonPath("$.ts").isNumber()
                .jsonPath("$.duplicate").isEqualTo(false);

        web.post().uri("/internal/messages").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(message(conv, "u2", "c1", "second"))
                .exchange()
                .expectStatus().isOk()
                .expectBody().jsonPath("$.seq").isEqualTo(2).jsonPath("$.duplicate").isEqualTo(false);
    }

    @Test
    void returnsOriginal_whenSameClientMessagePostedAgain() {
        Map<?, ?> first = post(message(conv, "u1", "same", "hello"));
        Map<?, ?> again = post(message(conv, "u1", "same", "hello again"));

        assertThat(again.get("duplicate")).isEqualTo(true);
        assertThat(again.get("seq")).isEqualTo(first.get("seq"));
        assertThat(again.get("id")).isEqualTo(first.get("id"));
        assertThat(again.get("ts")).isEqualTo(first.get("ts"));
        assertThat(again.get("body")).isEqualTo("hello");
    }

    @Test
    void rejectsWithProblemDetail_whenMessageInvalid() {
        List<Map<String, Object>> invalid = List.of(
                message("lobby", "u1", "c1", "x"),
                message(conv, "u1", "bad cmid", "x"),
                message(conv, "u1", "c1", ""),
                message(conv, "u1", "c1", "x".repeat(4001)),
                Map.of("conv", conv, "from", Map.of("id", "u1"), "cmid", "c1", "kind", "image", "body", "x"),
                Map.of("conv", conv, "cmid", "c1", "kind", "text", "body", "x"));
        for (Map<String, Object> body : invalid) {
            web.post().uri("/internal/messages").contentType(MediaType.APPLICATION_JSON).bodyValue(body)
                    .exchange()
                    .expectStatus().isBadRequest()
                    .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                    .expectBody()
                    .jsonPath("$.status").isEqualTo(400)
                    .jsonPath("$.detail").isNotEmpty()
                    .jsonPath("$.trace").doesNotExist()
                    .jsonPath("$.exception").doesNotExist();
        }
        web.post().uri("/internal/messages").contentType(MediaType.APPLICATION_JSON).bodyValue("{not json")
                .exchange()
                .expectStatus().isBadRequest()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON);
        web.get().uri("/internal/conversations/{conv}/messages?after=0", conv).exchange().expectStatus().isOk();
        web.get().uri("/internal/conversations/{conv}/messages?after=0", "nope").exchange().expectStatus().isBadRequest();
    }

    @Test
    void returnsAscendingPageAfterSeq_whenSyncing() {
        IntStream.rangeClosed(1, 5).forEach(i -> post(message(conv, "u1", "c" + i, "m" + i)));

        web.get().uri("/internal/conversations/{conv}/messages?after=1&limit=2", conv)
                .exchange()
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.conv").isEqualTo(conv)
                .jsonPath("$.messages.length()").isEqualTo(2)
                .jsonPath("$.messages[0].seq").isEqualTo(2)
                .jsonPath("$.messages[1].seq").isEqualTo(3)
                .jsonPath("$.messages[0].body").isEqualTo("m2")
                .jsonPath("$.messages[0].from.id").isEqualTo("u1")
                .jsonPath("$.more").isEqualTo(true);

        web.get().uri("/internal/conversations/{conv}/messages?after=3", conv)
                .exchange()
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.messages[*].seq").isEqualTo(List.of(4, 5))
                .jsonPath("$.more").isEqualTo(false);

        web.get().uri("/internal/conversations/{conv}/messages", conv)
                .exchange()
                .expectStatus().isOk()
                .expectBody().jsonPath("$.messages.length()").isEqualTo(5);
    }

    @Test
    void returnsLastSeqs_withZeroForEmptyConversation() {
        post(message(conv, "u1", "a", "1"));
        post(message(conv, "u1", "b", "2"));
        String empty = conv + "empty";

        web.post().uri("/internal/last-seqs").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("convs", List.of(conv, empty)))
                .exchange()
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$['" + conv + "']").isEqualTo(2)
                .jsonPath("$['" + empty + "']").isEqualTo(0);

        List<String> tooMany = IntStream.range(0, 201).mapToObj(i -> "r:c" + i).toList();
        web.post().uri("/internal/last-seqs").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("convs", tooMany))
                .exchange()
                .expectStatus().isBadRequest()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON);
        web.post().uri("/internal/last-seqs").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("convs", List.of("bad id")))
                .exchange()
                .expectStatus().isBadRequest();
    }

    @Test
    void storesABatch_answeringEachItemAsItsSingleStoreWould() {
        String other = conv + "x";
        Map<?, ?> stored = post(message(conv, "u1", "old", "stored before"));
        List<Object> items = List.of(
                message(conv, "u1", "b1", "one"),
                message(other, "u2", "b2", "elsewhere"),
                message(conv, "u1", "old", "a retry"),
                Map.of("conv", conv, "from", Map.of("id", "u1"), "cmid", "b3", "kind", "text"), // no body: 400
                Map.of("conv", conv, "from", Map.of("id", "u1"), "cmid", "b4", "kind", "image", "media", "nope"), // 404
                message(conv, "u1", "b5", "two"));

        List<?> answers = web.post().uri("/internal/messages/batch").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("messages", items))
                .exchange()
                .expectStatus().isOk()
                .expectBody(List.class).returnResult().getResponseBody();

        assertThat(answers).hasSize(6);
        assertThat(answers.stream().map(a -> (Object) ((Map<?, ?>) a).get("status")).toList()).containsExactly(200, 200, 200, 400, 404, 200);
        Map<?, ?> first = (Map<?, ?>) ((Map<?, ?>) answers.get(0)).get("message");
        Map<?, ?> retry = (Map<?, ?>) ((Map<?, ?>) answers.get(2)).get("message");
        Map<?, ?> last = (Map<?, ?>) ((Map<?, ?>) answers.get(5)).get("message");
        assertThat(first.get("seq")).isEqualTo(2);
        assertThat(last.get("seq")).isEqualTo(3);
        assertThat(((Map<?, ?>) ((Map<?, ?>) answers.get(1)).get("message")).get("seq")).isEqualTo(1);
        assertThat(retry.get("duplicate")).isEqualTo(true);
        assertThat(retry.get("id")).isEqualTo(stored.get("id"));
        assertThat(((Map<?, ?>) answers.get(3)).get("detail")).asString().contains("body");
        assertThat(((Map<?, ?>) answers.get(4)).get("detail")).isEqualTo("media not found");
        assertThat(((Map<?, ?>) answers.get(3)).get("message")).isNull();

        web.post().uri("/internal/messages/batch").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("messages", List.of())).exchange().expectStatus().isBadRequest();
        web.post().uri("/internal/messages/batch").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("messages", IntStream.range(0, 257).mapToObj(i -> message(conv, "u1", "m" + i, "x"))
                        .toList())).exchange().expectStatus().isBadRequest();
    }

    @Test
    void reportsLivenessAndReadiness_onManagementPort() {
        WebTestClient management = WebTestClient.bindToServer().baseUrl("http://127.0.0.1:" + managementPort)
                .responseTimeout(TIMEOUT).build();
        management.get().uri("/actuator/health/liveness").exchange()
                .expectStatus().isOk().expectBody().jsonPath("$.status").isEqualTo("UP");
        management.get().uri("/actuator/health/readiness").exchange()
                .expectStatus().isOk().expectBody().jsonPath("$.status").isEqualTo("UP");
    }

    private Map<?, ?> post(Map<String, Object> body) {
        Map<?, ?> answer = web.post().uri("/internal/messages").contentType(MediaType.APPLICATION_JSON).bodyValue(body)
                .exchange()
                .expectStatus().isOk()
                .expectBody(Map.class)
                .returnResult()
                .getResponseBody();
        assertThat(answer).isNotNull();
        return answer;
    }

    private static Map<String, Object> message(String conv, String from, String cmid, String body) {
        return Map.of("conv", conv, "from", Map.of("id", from, "nickname", "Nick"), "cmid", cmid, "kind", "text",
                "body", body);
    }
}
