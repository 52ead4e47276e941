package io.wxim.history.membership;

import io.wxim.history.config.HistoryProperties;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.client.WebClientRequestException;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

/**
 * Asks chat-service (which owns membership) whether a user is a member of a conversation:
 * {@code GET /internal/conversations/{conv}/members/{userId}} answers 204 (member) or 404 (not a member).
 * Bounded by {@code im.history.chat-timeout}; one quick retry on connection errors and 5xx (the call is a read);
 * anything else that is not a clear answer becomes {@link MembershipUnavailableException} (503).
 */
@Component
public class ChatMembershipClient {
    private static final Duration RETRY_BACKOFF = Duration.ofMillis(50);

    private final WebClient web;
    private final Duration timeout;

    /** Membership calls that ran into their timeout, for alerting. */
    private final io.micrometer.core.instrument.Counter timeouts;

    public ChatMembershipClient(WebClient.Builder builder, HistoryProperties props,
                                io.micrometer.core.instrument.MeterRegistry meters) {
        this.timeouts = meters.counter("im.remote.timeouts", "target", "chat");
        this.web = builder.baseUrl(props.chatBaseUrl().toString()).build();
        this.timeout = props.chatTimeout();
    }

    public Mono<Boolean> isMember(String conv, String userId) {
        return web.get()
                .uri("/internal/conversations/{conv}/members/{userId}", conv, userId)
                .exchangeToMono(response -> {
                    HttpStatus status = HttpStatus.resolve(response.statusCode().value());
                    if (status == HttpStatus.NO_CONTENT || status == HttpStatus.OK) {
                        return response.releaseBody().thenReturn(true);
                    }
                    if (status == HttpStatus.NOT_FOUND) {
                        return response.releaseBody().thenReturn(false);
                    }
                    return response.releaseBody().then(Mono.error(new UnexpectedStatus(response.statusCode().value())));
                })
                .retryWhen(Retry.backoff(1, RETRY_BACKOFF).filter(ChatMembershipClient::isTransient)
                        .onRetryExhaustedThrow((spec, signal) -> signal.failure()))
                .timeout(timeout)
                .doOnError(TimeoutException.class, e -> timeouts.increment())
                .onErrorMap(e -> new MembershipUnavailableException(describe(e), e));
    }

    private static boolean isTransient(Throwable e) {
        return e instanceof WebClientRequestException || (e instanceof UnexpectedStatus s && s.status >= 500);
    }

    private static String describe(Throwable e) {
        if (e instanceof TimeoutException) {
            return "chat-service timed out";
        }
        if (e instanceof UnexpectedStatus s) {
            return "chat-service answered " + s.status;
        }
        return "chat-service unreachable";
    }

    /** chat-service answered neither 204 nor 404. */
    private static final class UnexpectedStatus extends RuntimeException {
        final int status;

        UnexpectedStatus(int status) {
            super("status " + status, null, false, false);
            this.status = status;
        }
    }
}
