package io.wxim.chat.message;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.wxim.chat.config.ChatProperties;
import io.wxim.protocol.ErrorCode;
import io.wxim.protocol.ProtocolException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.client.ClientResponse;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Mono;

/** Calls to history are retried while it mostly answers, and not retried while it mostly fails (RetryThrottle). */
@Timeout(60)
class HistoryClientRetryTests {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private final AtomicInteger requests = new AtomicInteger();
    private volatile boolean healthy;
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final HistoryClient history = new HistoryClient(WebClient.builder().exchangeFunction(request -> {
        requests.incrementAndGet();
        return Mono.just(healthy
                ? ClientResponse.create(HttpStatus.OK).header(HttpHeaders.CONTENT_TYPE, MediaType.APPLICATION_JSON_VALUE)
                        .body("{\"r:a\":3}").build()
                : ClientResponse.create(HttpStatus.SERVICE_UNAVAILABLE).build());
    }), ChatProperties.defaults(), meters);

    @Test
    void retriesStopWhileHistoryMostlyFails_andComeBackOnceItAnswersAgain() {
        failingCall(); // a healthy count: both retries (3 requests), 7 of 10 tokens left
        assertThat(requests).hasValue(3);
        failingCall(); // 6 left after the first attempt: one retry; 5 after it: no more
        assertThat(requests).hasValue(5);
        for (int i = 0; i < 10; i++) {
            failingCall(); // one request each: nothing doubles the load of a failing service
        }
        assertThat(requests).hasValue(15);
        assertThat(meters.counter("im.remote.retries.throttled", "target", "history").count()).isEqualTo(11.0);

        healthy = true;
        for (int i = 0; i < 100; i++) {
            assertThat(history.lastSeqs(List.of("r:a")).block(WAIT)).containsEntry("r:a", 3L);
        }
        assertThat(meters.find("im.remote.retry.tokens").gauge().value()).isEqualTo(10.0);
        healthy = false;
        requests.set(0);
        failingCall();
        assertThat(requests).hasValue(3); // retried again, as at first
    }

    private void failingCall() {
        assertThatThrownBy(() -> history.lastSeqs(List.of("r:a")).block(WAIT))
                .isInstanceOfSatisfying(ProtocolException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE));
    }
}
