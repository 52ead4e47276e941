package io.wxim.auth.error;

import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.auth.wechat.WeChatLoginException;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

class ApiExceptionHandlerTests {
    private final ApiExceptionHandler handler = new ApiExceptionHandler();
    private final MockServerWebExchange exchange =
            MockServerWebExchange.from(MockServerHttpRequest.post("/api/auth/refresh"));

    @Test
    void answers503_whenStoreTimesOut() {
        Mono<TimeoutException> timeout = Mono.never().timeout(Duration.ofMillis(1))
                .cast(TimeoutException.class).onErrorResume(TimeoutException.class, Mono::just);
        StepVerifier.create(timeout.flatMap(e -> handler.handleStoreUnavailable(e, exchange)))
                .assertNext(response -> assertServiceUnavailable(response))
                .expectComplete()
                .verify(Duration.ofSeconds(5));
    }

    @Test
    void answers503_whenStoreIsUnreachable() {
        var failure = new DataAccessResourceFailureException("Unable to connect to Redis at 10.0.0.7:6379");
        StepVerifier.create(handler.handleStoreUnavailable(failure, exchange))
                .assertNext(response -> {
                    assertServiceUnavailable(response);
                    assertThat(((ProblemDetail) response.getBody()).getDetail()).doesNotContain("10.0.0.7");
                })
                .expectComplete()
                .verify(Duration.ofSeconds(5));
    }

    @Test
    void answers500WithGenericDetail_whenUnexpected() {
        StepVerifier.create(handler.handleUnexpected(new IllegalStateException("secret internals"), exchange))
                .assertNext(response -> {
                    assertThat(response.getStatusCode().value()).isEqualTo(500);
                    ProblemDetail problem = (ProblemDetail) response.getBody();
                    assertThat(problem.getDetail()).isEqualTo("An unexpected error occurred.");
                    assertThat(problem.toString()).doesNotContain("secret internals").doesNotContain("IllegalState");
                })
                .expectComplete()
                .verify(Duration.ofSeconds(5));
    }

    @Test
    void answersWeChatLoginFailure_withCodeRetryableAndRetryAfter() {
        var limited = new WeChatLoginException(HttpStatus.TOO_MANY_REQUESTS, "rate_limited", true, "Slow down.");
        StepVerifier.create(handler.handleWeChatLogin(limited, exchange))
                .assertNext(response -> {
                    assertThat(response.getStatusCode().value()).isEqualTo(429);
                    assertThat(response.getHeaders().getFirst(HttpHeaders.RETRY_AFTER)).isEqualTo("60");
                    ProblemDetail problem = (ProblemDetail) response.getBody();
                    assertThat(problem.getStatus()).isEqualTo(429);
                    assertThat(problem.getDetail()).isEqualTo("Slow down.");
                    assertThat(problem.getProperties()).containsEntry("code", "rate_limited")
                            .containsEntry("retryable", true);
                })
                .expectComplete()
                .verify(Duration.ofSeconds(5));

        var used = new WeChatLoginException(HttpStatus.BAD_REQUEST, "code_used", false, "Used.");
        StepVerifier.create(handler.handleWeChatLogin(used, exchange))
                .assertNext(response -> {
                    assertThat(response.getStatusCode().value()).isEqualTo(400);
                    assertThat(response.getHeaders().containsHeader(HttpHeaders.RETRY_AFTER)).isFalse();
                    assertThat(((ProblemDetail) response.getBody()).getProperties())
                            .containsEntry("code", "code_used").containsEntry("retryable", false);
                })
                .expectComplete()
                .verify(Duration.ofSeconds(5));
    }

    private static void assertServiceUnavailable(ResponseEntity<Object> response) {
        assertThat(response.getStatusCode().value()).isEqualTo(503);
        assertThat(response.getHeaders().getFirst(HttpHeaders.RETRY_AFTER)).isEqualTo("1");
        ProblemDetail problem = (ProblemDetail) response.getBody();
        assertThat(problem.getStatus()).isEqualTo(503);
        assertThat(problem.getTitle()).isEqualTo("Service unavailable");
        assertThat(problem.getDetail()).doesNotContain("Exception");
    }
}
