package io.wxim.history.api;

import io.wxim.testinfra.TestInfra;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

/** {@code POST /internal/last-messages} over HTTP, with a real store below. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"spring.config.name=history-service", "management.server.port=0"})
@AutoConfigureWebTestClient(timeout = "10s")
@Timeout(120)
class InternalLastMessagesApiIntegrationTests {

    @DynamicPropertySource
    static void mongo(DynamicPropertyRegistry registry) {
        registry.add("spring.mongodb.uri", () -> TestInfra.mongoUri("im_history_test_last_api_" + UUID.randomUUID()
                .toString().substring(0, 8)));
    }

    @Autowired
    private WebTestClient web;

    @Test
    void returnsNewestMessagePerConversation_andOmitsEmptyOnes() {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String busy = "r:busy" + run;
        String direct = "d:one" + run;
        String recalled = "p:gone" + run;
        String empty = "r:empty" + run;
        IntStream.rangeClosed(1, 3).forEach(i -> store(busy, "u1", "c" + i, "m" + i));
        store(direct, "u2", "only", "hi");
        store(recalled, "u3", "r1", "oops");
        web.post().uri("/internal/conversations/{conv}/messages/1/recall", recalled)
                .contentType(MediaType.APPLICATION_JSON).bodyValue(Map.of("by", "u3", "notBefore", 0))
                .exchange().expectStatus().isOk();

        web.post().uri("/internal/last-messages").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("convs", List.of(busy, empty, direct, busy, recalled)))
                .exchange()
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.length()").isEqualTo(3)
                .jsonPath("$['" + empty + "']").doesNotExist()
                .jsonPath("$['" + busy + "'].type").isEqualTo("message")
                .jsonPath("$['" + busy + "'].conv").isEqualTo(busy)
                .jsonPath("$['" + busy + "'].seq").isEqualTo(3)
                .jsonPath("$['" + busy + "'].body").isEqualTo("m3")
                .jsonPath("$['" + busy + "'].cmid").isEqualTo("c3")
                .jsonPath("$['" + busy + "'].from.id").isEqualTo("u1")
                .jsonPath("$['" + busy + "'].id").isNotEmpty()
                .jsonPath("$['" + busy + "'].ts").isNumber()
                .jsonPath("$['" + busy + "'].recalled").doesNotExist()
                .jsonPath("$['" + busy + "'].duplicate").doesNotExist()
                .jsonPath("$['" + direct + "'].seq").isEqualTo(1)
                .jsonPath("$['" + direct + "'].body").isEqualTo("hi")
                // the newest of a conversation whose last message was recalled is the recall notice
                .jsonPath("$['" + recalled + "'].seq").isEqualTo(2)
                .jsonPath("$['" + recalled + "'].kind").isEqualTo("recall")
                .jsonPath("$['" + recalled + "'].body").isEqualTo("1")
                .jsonPath("$['" + recalled + "'].from.id").isEqualTo("u3")
                .jsonPath("$['" + recalled + "'].recalled").doesNotExist();

        web.post().uri("/internal/last-messages").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("convs", List.of()))
                .exchange()
                .expectStatus().isOk()
                .expectBody().json("{}");
    }

    @Test
    void rejectsWithProblemDetail_whenRequestInvalid() {
        List<String> tooMany = IntStream.range(0, 201).mapToObj(i -> "r:c" + i).toList();
        List<Object> bodies = List.of(Map.of("convs", tooMany), Map.of("convs", List.of("r:ok", "bad id")), Map.of(),
                "{not json");
        for (Object body : bodies) {
            web.post().uri("/internal/last-messages").contentType(MediaType.APPLICATION_JSON).bodyValue(body)
                    .exchange()
                    .expectStatus().isBadRequest()
                    .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                    .expectBody()
                    .jsonPath("$.status").isEqualTo(400)
                    .jsonPath("$.detail").isNotEmpty();
        }
        List<String> exactlyMax = IntStream.range(0, 200).mapToObj(i -> "r:max" + i).toList();
        web.post().uri("/internal/last-messages").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("convs", exactlyMax))
                .exchange()
                .expectStatus().isOk()
                .expectBody().json("{}");
    }

    private void store(String conv, String from, String cmid, String body) {
        web.post().uri("/internal/messages").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("conv", conv, "from", Map.of("id", from), "cmid", cmid, "kind", "text", "body", body))
                .exchange()
                .expectStatus().isOk()
                .expectBody().jsonPath("$.duplicate").isEqualTo(false);
    }
}
