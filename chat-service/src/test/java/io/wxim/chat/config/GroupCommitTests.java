package io.wxim.chat.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

class GroupCommitTests {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @Test
    void neverRunsMoreWritesThanAllowed_andBatchesTheRest() {
        AtomicInteger running = new AtomicInteger();
        AtomicInteger maxRunning = new AtomicInteger();
        AtomicInteger writes = new AtomicInteger();
        GroupCommit<Integer, Integer> commits = new GroupCommit<>(items -> {
            writes.incrementAndGet();
            maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
            return Mono.delay(Duration.ofMillis(10)).doOnNext(t -> running.decrementAndGet())
                    .thenReturn(items.stream().map(i -> i * 10).toList());
        }, 16, 3);

        StepVerifier.create(Flux.range(0, 200).flatMap(i -> commits.submit(i).map(answer -> answer == i * 10), 200)
                        .all(Boolean::booleanValue))
                .expectNext(true)
                .expectComplete()
                .verify(TIMEOUT);
        assertThat(maxRunning).hasValueLessThanOrEqualTo(3);
        assertThat(writes.get()).as("200 items, at most 16 per write").isBetween(13, 199);
    }

    @Test
    void failsTheItemsOfAFailedOrMiscountedWrite_andTheNextRoundStillComes() {
        AtomicInteger calls = new AtomicInteger();
        GroupCommit<String, String> commits = new GroupCommit<>(items -> switch (calls.getAndIncrement()) {
            case 0 -> Mono.error(new IllegalArgumentException("boom"));
            case 1 -> Mono.just(List.of()); // answers no item
            default -> Mono.just(items);
        }, 10, 1);

        StepVerifier.create(commits.submit("a")).expectErrorMessage("boom").verify(TIMEOUT);
        StepVerifier.create(commits.submit("b")).expectError(IllegalStateException.class).verify(TIMEOUT);
        StepVerifier.create(commits.submit("c")).expectNext("c").expectComplete().verify(TIMEOUT);
    }
}
