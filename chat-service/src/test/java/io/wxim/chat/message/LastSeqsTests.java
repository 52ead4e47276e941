package io.wxim.chat.message;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

class LastSeqsTests {
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final Map<String, Long> STORED = Map.of("r:lobby", 40L, "r:a", 7L, "d:x", 3L);

    private final List<List<String>> requests = new CopyOnWriteArrayList<>();
    private final List<Sinks.One<Map<String, Long>>> answers = new CopyOnWriteArrayList<>();

    /** A history-service whose answers the test releases one by one. */
    private Mono<Map<String, Long>> history(Collection<String> convs) {
        Sinks.One<Map<String, Long>> answer = Sinks.one();
        answers.add(answer); // before the request is seen: the test waits for requests, then answers them
        requests.add(List.copyOf(convs));
        return answer.asMono();
    }

    private void answer(int request) {
        Map<String, Long> seqs = new java.util.HashMap<>();
        requests.get(request).forEach(conv -> {
            if (STORED.containsKey(conv)) {
                seqs.put(conv, STORED.get(conv));
            }
        });
        answers.get(request).tryEmitValue(seqs);
    }

    @Test
    void connectionsStartingWhileRequestsRun_shareTheNextRequest_eachGettingItsOwnConversations() {
        LastSeqs lastSeqs = new LastSeqs(this::history);
        List<Mono<Map<String, Long>>> welcomes = new ArrayList<>();
        for (List<String> convs : List.of(List.of("r:lobby"), List.of("r:lobby", "r:a"), List.of("r:lobby", "d:x"),
                List.of("r:lobby", "r:none"))) {
            welcomes.add(lastSeqs.of(convs).cache());
            welcomes.get(welcomes.size() - 1).subscribe();
        }
        // two requests in flight (one connection each), the other two wait and go together
        assertThat(requests).containsExactly(List.of("r:lobby"), List.of("r:lobby", "r:a"));
        answer(0);
        awaitRequests(3); // the next request starts when one ends
        assertThat(requests.get(2)).containsExactly("r:lobby", "d:x", "r:none");
        answer(1);
        answer(2);

        assertThat(welcomes.get(0).block(WAIT)).isEqualTo(Map.of("r:lobby", 40L));
        assertThat(welcomes.get(1).block(WAIT)).isEqualTo(Map.of("r:lobby", 40L, "r:a", 7L));
        assertThat(welcomes.get(2).block(WAIT)).isEqualTo(Map.of("r:lobby", 40L, "d:x", 3L));
        assertThat(welcomes.get(3).block(WAIT)).isEqualTo(Map.of("r:lobby", 40L));
        assertThat(requests).hasSize(3);
    }

    @Test
    void aFailedRequestFailsTheConnectionsItCarried_andTheNextOnesStillRun() {
        LastSeqs lastSeqs = new LastSeqs(this::history);
        Mono<Map<String, Long>> first = lastSeqs.of(List.of("r:lobby")).cache();
        first.subscribe(v -> { }, e -> { });
        answers.get(0).tryEmitError(new IllegalStateException("history down"));
        assertThatThrownBy(() -> first.block(WAIT)).hasMessageContaining("history down");

        Mono<Map<String, Long>> next = lastSeqs.of(List.of("r:a")).cache();
        next.subscribe();
        awaitRequests(2);
        answer(1);
        assertThat(next.block(WAIT)).isEqualTo(Map.of("r:a", 7L));
    }

    private void awaitRequests(int count) {
        Flux.interval(Duration.ofMillis(5)).takeUntil(t -> requests.size() >= count).blockLast(WAIT);
        assertThat(requests).hasSize(count);
    }

    @Test
    void aConnectionWithManyConversations_readsOnItsOwn_withoutWaitingForTheSharedRequests() {
        LastSeqs lastSeqs = new LastSeqs(this::history);
        lastSeqs.of(List.of("r:lobby")).subscribe();
        lastSeqs.of(List.of("r:lobby", "r:a")).subscribe(); // both slots of the shared requests are busy
        List<String> many = new ArrayList<>(List.of("r:lobby", "d:x"));
        for (int i = 0; many.size() <= LastSeqs.MAX_SHARED; i++) {
            many.add("d:other" + i);
        }
        Mono<Map<String, Long>> large = lastSeqs.of(many).cache();
        large.subscribe();
        assertThat(requests).hasSize(3);
        assertThat(requests.get(2)).containsExactlyElementsOf(many);
        answer(2);
        assertThat(large.block(WAIT)).isEqualTo(Map.of("r:lobby", 40L, "d:x", 3L));

        Mono<Map<String, Long>> small = lastSeqs.of(List.of("r:a")).cache(); // still waits for a shared slot
        small.subscribe();
        assertThat(requests).hasSize(3);
        answer(0);
        awaitRequests(4);
        answer(3);
        assertThat(small.block(WAIT)).isEqualTo(Map.of("r:a", 7L));
    }

    @Test
    void noConversations_noRequest() {
        assertThat(new LastSeqs(this::history).of(List.of()).block(WAIT)).isEmpty();
        assertThat(requests).isEmpty();
    }
}
