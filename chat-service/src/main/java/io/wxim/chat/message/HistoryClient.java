package io.wxim.chat.message;

import io.wxim.chat.config.ChatProperties;
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
 * conversation, sender and cmid), retried on transient failures. Failures become {@link ErrorCode#UNAVAILABLE}.
 */
@Component
public class HistoryClient {
    private static final Logger log = LoggerFactory.getLogger(HistoryClient.class);
    private static final ParameterizedTypeReference<Map<String, Long>> SEQ_MAP = new ParameterizedTypeReference<>() {
    };

    private final WebClient web;
    private final ChatProperties.History props;

    public HistoryClient(WebClient.Builder builder, ChatProperties props) {
        this.props = props.history();
        int maxResponse = (int) this.props.maxResponseSize().toBytes();
        this.web = builder.baseUrl(this.props.baseUrl())
                .codecs(codecs -> codecs.defaultCodecs().maxInMemorySize(maxResponse))
                .build();
    }

    /** What history-service returns for a stored message. */
    public record Stored(String conv, long seq, String id, UserRef from, String cmid, String kind, String body, long ts,
                         boolean duplicate) {
        ServerFrame.Message toFrame() {
            return new ServerFrame.Message(conv, seq, id, from, cmid, kind, body, ts);
        }
    }

    /** A page of messages after a seq (elements are {@code message} frames). */
    public record Page(String conv, List<ServerFrame.Message> messages, boolean more) {
        public Page {
            messages = messages == null ? List.of() : List.copyOf(messages);
        }
    }

    record StoreRequest(String conv, UserRef from, String cmid, String kind, String body) {
    }

    record LastSeqsRequest(Collection<String> convs) {
    }

    public Mono<Stored> store(String conv, UserRef from, String cmid, String body) {
        return call("store", web.post().uri("/internal/messages")
                .bodyValue(new StoreRequest(conv, from, cmid, "text", body))
                .retrieve().bodyToMono(Stored.class));
    }

    public Mono<Page> after(String conv, long afterSeq, int limit) {
        return call("after", web.get()
                .uri(b -> b.path("/internal/conversations/{conv}/messages")
                        .queryParam("after", afterSeq).queryParam("limit", limit).build(conv))
                .retrieve().bodyToMono(Page.class));
    }

    public Mono<Map<String, Long>> lastSeqs(Collection<String> convs) {
        return call("lastSeqs", web.post().uri("/internal/last-seqs")
                .bodyValue(new LastSeqsRequest(convs))
                .retrieve().bodyToMono(SEQ_MAP));
    }

    private <T> Mono<T> call(String operation, Mono<T> request) {
        Duration timeout = props.timeout();
        return request.timeout(timeout)
                .retryWhen(Retry.backoff(props.retries(), Duration.ofMillis(50)).filter(HistoryClient::isTransient))
                .onErrorMap(e -> !(e instanceof ProtocolException), e -> {
                    Throwable cause = reactor.core.Exceptions.isRetryExhausted(e) && e.getCause() != null ? e.getCause() : e;
                    log.warn("history call failed: operation={} error={}", operation, cause.toString());
                    return new ProtocolException(ErrorCode.UNAVAILABLE, "message store unavailable, retry");
                });
    }

    static boolean isTransient(Throwable e) {
        return e instanceof TimeoutException
                || e instanceof WebClientRequestException
                || (e instanceof WebClientResponseException r && r.getStatusCode().is5xxServerError());
    }
}
