package io.wxim.chat.message;

import io.wxim.chat.config.ChatProperties;
import io.wxim.protocol.ClientFrame;
import io.wxim.protocol.ErrorCode;
import io.wxim.protocol.ProtocolException;
import io.wxim.protocol.ServerFrame;
import io.wxim.protocol.UserRef;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.client.WebClientRequestException;
import org.springframework.web.reactive.function.client.WebClientResponseException;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

/**
 * history-service's internal API. Every call is bounded by a timeout and, being idempotent (inserts are keyed by
 * conversation, sender and cmid), retried on transient failures, unless most calls are failing
 * ({@link RetryThrottle}: retries then stop, so an overloaded history-service is not sent every store two or three
 * times). Failures become {@link ErrorCode#UNAVAILABLE}.
 */
@Component
public class HistoryClient {
    private static final Logger log = LoggerFactory.getLogger(HistoryClient.class);
    private static final ParameterizedTypeReference<Map<String, Long>> SEQ_MAP = new ParameterizedTypeReference<>() {
    };

    /** history-service's limit of conversations per last-seqs / last-messages request. */
    private static final int MAX_CONVERSATIONS_PER_CALL = 200;

    private final WebClient web;
    private final ChatProperties.History props;
    /** Calls to history-service that ran into their timeout (each attempt), for alerting. */
    private final io.micrometer.core.instrument.Counter timeouts;
    /** gRPC's example settings: retries stop after about five failures more than a tenth of the successes. */
    private final RetryThrottle throttle = new RetryThrottle(10, 0.1);
    private final io.micrometer.core.instrument.Counter throttled;

    public HistoryClient(WebClient.Builder builder, ChatProperties props, io.micrometer.core.instrument.MeterRegistry meters) {
        this.timeouts = meters.counter("im.remote.timeouts", "target", "history");
        this.throttled = meters.counter("im.remote.retries.throttled", "target", "history");
        meters.gauge("im.remote.retry.tokens", java.util.List.of(io.micrometer.core.instrument.Tag.of("target", "history")),
                throttle, RetryThrottle::tokens);
        this.props = props.history();
        int maxResponse = (int) this.props.maxResponseSize().toBytes();
        this.web = builder.baseUrl(this.props.baseUrl())
                .codecs(codecs -> codecs.defaultCodecs().maxInMemorySize(maxResponse))
                .build();
    }

    /** What history-service returns for a stored message. */
    public record Stored(String conv, long seq, String id, UserRef from, String cmid, String kind, String body, long ts,
                         boolean duplicate, boolean recalled, ServerFrame.Media media) {
        ServerFrame.Message toFrame() {
            return new ServerFrame.Message(conv, seq, id, from, cmid, kind, recalled ? null : body, ts,
                    recalled ? Boolean.TRUE : null, recalled ? null : media);
        }
    }

    /**
     * What history-service returns for a recall: the recalled message ({@code conv}, {@code seq}, {@code id}) and the
     * recall notice it stored after it ({@code null} from a history-service that predates notices).
     */
    public record Recalled(String conv, long seq, String id, Stored notice) {
    }

    /** A page of messages after a seq (elements are {@code message} frames). */
    public record Page(String conv, List<ServerFrame.Message> messages, boolean more) {
        public Page {
            messages = messages == null ? List.of() : List.copyOf(messages);
        }
    }

    record StoreRequest(String conv, UserRef from, String cmid, String kind, String body, String media,
                        Integer duration) {
    }

    record LastSeqsRequest(Collection<String> convs) {
    }

    record RecallRequest(String by, String nickname, String avatarUrl, long notBefore) {
    }

    private static final ParameterizedTypeReference<List<BatchItem>> BATCH_ITEMS = new ParameterizedTypeReference<>() {
    };

    private static final ParameterizedTypeReference<Map<String, ServerFrame.Message>> MESSAGE_MAP =
            new ParameterizedTypeReference<>() {
            };

    /** One answer of a batch store: {@code status} 200 with the stored message, or the single store's status. */
    public record BatchItem(int status, Stored message, String detail) {
    }

    record StoreBatchRequest(List<StoreRequest> messages) {
    }

    /**
     * Stores several messages with one request ({@code POST /internal/messages/batch}); answers one item per
     * message, in order. The whole call is retried on transient failures like every call (stores are idempotent).
     */
    public Mono<List<BatchItem>> storeAll(List<StoreRequest> messages) {
        return call("storeBatch", web.post().uri("/internal/messages/batch")
                .bodyValue(new StoreBatchRequest(messages))
                .retrieve()
                .bodyToMono(BATCH_ITEMS));
    }

    /** The failure a batch item's status stands for, as the single store call would raise it. */
    static ProtocolException storeFailure(BatchItem item) {
        return switch (item.status()) {
            case 404 -> new ProtocolException(ErrorCode.NOT_FOUND, "no such media: upload it first (POST /api/media)");
            case 400 -> new ProtocolException(ErrorCode.BAD_REQUEST, "the media does not fit this message (kind or fields)");
            default -> new ProtocolException(ErrorCode.UNAVAILABLE, "message store unavailable, retry");
        };
    }

    public Mono<Page> after(String conv, long afterSeq, int limit) {
        return call("after", web.get()
                .uri(b -> b.path("/internal/conversations/{conv}/messages")
                        .queryParam("after", afterSeq).queryParam("limit", limit).build(conv))
                .retrieve().bodyToMono(Page.class));
    }

    /** The newest seq of each conversation (0 when empty), asked in chunks the internal API accepts. */
    public Mono<Map<String, Long>> lastSeqs(Collection<String> convs) {
        return chunked(convs, chunk -> call("lastSeqs", web.post().uri("/internal/last-seqs")
                .bodyValue(new LastSeqsRequest(chunk))
                .retrieve().bodyToMono(SEQ_MAP)));
    }

    /** Runs {@code call} per chunk of at most {@link #MAX_CONVERSATIONS_PER_CALL} and merges the answers. */
    private static <V> Mono<Map<String, V>> chunked(Collection<String> convs,
                                                    java.util.function.Function<List<String>, Mono<Map<String, V>>> call) {
        List<String> all = List.copyOf(convs);
        if (all.size() <= MAX_CONVERSATIONS_PER_CALL) {
            return call.apply(all);
        }
        return reactor.core.publisher.Flux.range(0, (all.size() + MAX_CONVERSATIONS_PER_CALL - 1) / MAX_CONVERSATIONS_PER_CALL)
                .concatMap(i -> call.apply(all.subList(i * MAX_CONVERSATIONS_PER_CALL,
                        Math.min(all.size(), (i + 1) * MAX_CONVERSATIONS_PER_CALL))))
                .collect(java.util.LinkedHashMap::new, Map::putAll);
    }

    /** The newest message of each conversation that has one. */
    public Mono<Map<String, ServerFrame.Message>> lastMessages(Collection<String> convs) {
        return chunked(convs, chunk -> call("lastMessages", web.post().uri("/internal/last-messages")
                .bodyValue(new LastSeqsRequest(chunk))
                .retrieve().bodyToMono(MESSAGE_MAP)));
    }

    /**
     * Recalls message {@code seq} of {@code conv} if {@code by} sent it at or after {@code notBefore}; history stores
     * the recall notice. NOT_FOUND if there is no such message, FORBIDDEN if someone else sent it, BAD_REQUEST if it is
     * a recall notice, EXPIRED if it is older than {@code notBefore}.
     */
    public Mono<Recalled> recall(String conv, long seq, UserRef by, long notBefore) {
        return call("recall", web.post().uri("/internal/conversations/{conv}/messages/{seq}/recall", conv, seq)
                .bodyValue(new RecallRequest(by.id(), by.nickname(), by.avatarUrl(), notBefore))
                .retrieve()
                .onStatus(status -> status.value() == 404, r -> Mono.error(
                        new ProtocolException(ErrorCode.NOT_FOUND, "no such message")))
                .onStatus(status -> status.value() == 403, r -> Mono.error(
                        new ProtocolException(ErrorCode.FORBIDDEN, "only the sender can recall a message")))
                .onStatus(status -> status.value() == 409, r -> Mono.error(
                        new ProtocolException(ErrorCode.BAD_REQUEST, "a recall notice cannot be recalled")))
                .onStatus(status -> status.value() == 410, r -> Mono.error(
                        new ProtocolException(ErrorCode.EXPIRED, "the recall window has passed")))
                .bodyToMono(Recalled.class));
    }

    private <T> Mono<T> call(String operation, Mono<T> request) {
        Duration timeout = props.timeout();
        return request.timeout(timeout)
                .doOnSuccess(answer -> throttle.succeeded())
                .doOnError(e -> {
                    if (isTransient(e)) {
                        throttle.failed();
                    } else {
                        throttle.succeeded(); // history answered (a 4xx: not found, forbidden, ...)
                    }
                })
                .doOnError(TimeoutException.class, e -> timeouts.increment())
                .retryWhen(Retry.backoff(props.retries(), Duration.ofMillis(50)).filter(e -> isTransient(e) && retryAllowed()))
                .onErrorMap(e -> !(e instanceof ProtocolException), e -> {
                    Throwable cause = reactor.core.Exceptions.isRetryExhausted(e) && e.getCause() != null ? e.getCause() : e;
                    log.warn("history call failed: operation={} error={}", operation, cause.toString());
                    return new ProtocolException(ErrorCode.UNAVAILABLE, "message store unavailable, retry");
                });
    }

    private boolean retryAllowed() {
        if (throttle.retryAllowed()) {
            return true;
        }
        throttled.increment();
        return false;
    }

    static boolean isTransient(Throwable e) {
        return e instanceof TimeoutException
                || e instanceof WebClientRequestException
                || (e instanceof WebClientResponseException r && r.getStatusCode().is5xxServerError());
    }
}
