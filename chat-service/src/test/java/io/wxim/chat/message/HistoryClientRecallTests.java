package io.wxim.chat.message;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.wxim.chat.config.ChatProperties;
import io.wxim.protocol.ErrorCode;
import io.wxim.protocol.ProtocolException;
import io.wxim.protocol.UserRef;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.client.ClientResponse;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Mono;

/** The recall call to history: its answer with and without a recall notice, and the answers that are errors. */
@Timeout(30)
class HistoryClientRecallTests {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final UserRef ALICE = new UserRef("alice", "Alice", null);
    private static final String RECALLED = "\"conv\":\"d:x\",\"seq\":1,\"id\":\"m1\",\"from\":{\"id\":\"alice\"},"
            + "\"cmid\":\"k1\",\"kind\":\"text\",\"ts\":5,\"duplicate\":false,\"recalled\":true";

    private final AtomicReference<HttpStatus> status = new AtomicReference<>(HttpStatus.OK);
    private final AtomicReference<String> body = new AtomicReference<>();
    private final HistoryClient history = new HistoryClient(WebClient.builder().exchangeFunction(request ->
            Mono.just(ClientResponse.create(status.get())
                    .header(HttpHeaders.CONTENT_TYPE, MediaType.APPLICATION_JSON_VALUE)
                    .body(body.get() == null ? "" : body.get()).build())), ChatProperties.defaults(),
            new SimpleMeterRegistry());

    @Test
    void readsTheRecalledMessageAndItsNotice() {
        body.set("{" + RECALLED + ",\"notice\":{\"conv\":\"d:x\",\"seq\":3,\"id\":\"m3\",\"from\":{\"id\":\"alice\","
                + "\"nickname\":\"Alice\"},\"cmid\":\"~recall:1\",\"kind\":\"recall\",\"body\":\"1\",\"ts\":9,"
                + "\"duplicate\":false,\"recalled\":false}}");

        HistoryClient.Recalled done = history.recall("d:x", 1, ALICE, 0).block(WAIT);

        assertThat(done.conv()).isEqualTo("d:x");
        assertThat(done.seq()).isEqualTo(1);
        assertThat(done.id()).isEqualTo("m1");
        assertThat(done.notice().seq()).isEqualTo(3);
        assertThat(done.notice().toFrame().kind()).isEqualTo("recall");
        assertThat(done.notice().toFrame().body()).isEqualTo("1");
        assertThat(done.notice().toFrame().from().nickname()).isEqualTo("Alice");
    }

    @Test
    void readsAnAnswerWithoutNotice_fromAnOlderHistoryOrALateRetry() {
        body.set("{" + RECALLED + "}");
        assertThat(history.recall("d:x", 1, ALICE, 0).block(WAIT).notice()).isNull();
        body.set("{" + RECALLED + ",\"notice\":null}");
        assertThat(history.recall("d:x", 1, ALICE, 0).block(WAIT).notice()).isNull();
    }

    @Test
    void mapsHistoryRefusalsToProtocolErrors() {
        expect(HttpStatus.NOT_FOUND, ErrorCode.NOT_FOUND);
        expect(HttpStatus.FORBIDDEN, ErrorCode.FORBIDDEN);
        expect(HttpStatus.CONFLICT, ErrorCode.BAD_REQUEST);
        expect(HttpStatus.GONE, ErrorCode.EXPIRED);
    }

    private void expect(HttpStatus answer, ErrorCode code) {
        status.set(answer);
        body.set("{\"status\":" + answer.value() + "}");
        assertThatThrownBy(() -> history.recall("d:x", 1, ALICE, 0).block(WAIT))
                .isInstanceOfSatisfying(ProtocolException.class, e -> assertThat(e.code()).isEqualTo(code));
    }
}
