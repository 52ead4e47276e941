package io.wxim.chat.message;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.wxim.chat.config.ChatProperties;
import java.util.Collection;
import java.util.Map;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Mono;

/** A {@link HistoryClient} for tests without a history-service: it answers rooms' last seqs as told. */
public final class TestHistory {
    private TestHistory() {
    }

    /** History that knows no messages: every room's last seq is 0 (absent). */
    public static HistoryClient knowingNoMessages(ChatProperties props) {
        return answering(props, Mono.just(Map.of()));
    }

    /** History whose last-seqs read answers {@code seqs} (an error: history down). */
    public static HistoryClient answering(ChatProperties props, Mono<Map<String, Long>> seqs) {
        return new HistoryClient(WebClient.builder(), props, new SimpleMeterRegistry()) {
            @Override
            public Mono<Map<String, Long>> lastSeqs(Collection<String> convs) {
                return seqs;
            }
        };
    }
}
