package io.wxim.history.message;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;

class ConversationBatcherTests {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    /** Records every batch; each item answers itself, or an error for items named "bad*". */
    private final List<List<String>> batches = new CopyOnWriteArrayList<>();
    private final AtomicInteger running = new AtomicInteger();
    private final AtomicInteger maxRunning = new AtomicInteger();

    private Mono<List<ConversationBatcher.Outcome<String>>> echo(String key, List<String> items, Duration delay) {
        batches.add(List.copyOf(items));
        maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
        List<ConversationBatcher.Outcome<String>> outcomes = new ArrayList<>();
        for (String item : items) {
            outcomes.add(item.startsWith("bad") ? ConversationBatcher.Outcome.failed(new IllegalArgumentException(item))
                    : ConversationBatcher.Outcome.of(key + "/" + item));
        }
        return Mono.delay(delay).doOnNext(t -> running.decrementAndGet()).thenReturn(outcomes);
    }

    private ConversationBatcher<String, String> batcher(int maxPending, int maxBatch, Duration delay) {
        return new ConversationBatcher<>((key, items) -> echo(key, items, delay), maxPending, maxBatch,
                Duration.ofSeconds(5));
    }

    @Test
    void batchesWhatArrivesWhileABatchRuns_oneBatchAtATime_inArrivalOrder() {
        ConversationBatcher<String, String> batcher = batcher(1000, 64, Duration.ofMillis(20));

        Flux<String> all = Flux.range(0, 200).flatMap(i -> batcher.submit("r:a", "m" + i), 200);

        StepVerifier.create(all.collectList())
                .assertNext(done -> assertThat(done).hasSize(200).allMatch(s -> s.startsWith("r:a/m")))
                .expectComplete()
                .verify(TIMEOUT);
        assertThat(maxRunning).as("never two batches of one key at once").hasValue(1);
        List<String> order = batches.stream().flatMap(List::stream).toList();
        assertThat(order).containsExactlyElementsOf(IntStream.range(0, 200).mapToObj(i -> "m" + i).toList());
        assertThat(batches).as("200 items took far fewer rounds").hasSizeLessThan(50)
                .allMatch(b -> b.size() <= 64);
        assertThat(batcher.activeKeys()).isZero();
    }

    @Test
    void runsAnItemAtOnce_whenItsConversationIsIdle() {
        ConversationBatcher<String, String> batcher = batcher(1000, 64, Duration.ZERO);

        StepVerifier.create(batcher.submit("r:a", "one")).expectNext("r:a/one").expectComplete().verify(TIMEOUT);
        StepVerifier.create(batcher.submit("r:a", "two")).expectNext("r:a/two").expectComplete().verify(TIMEOUT);
        assertThat(batches).containsExactly(List.of("one"), List.of("two"));
        assertThat(batcher.activeKeys()).isZero();
    }

    @Test
    void runsConcurrently_whenConversationsDiffer() {
        Sinks.One<String> gate = Sinks.one();
        ConversationBatcher<String, String> batcher = new ConversationBatcher<>((key, items) -> key.equals("r:a")
                ? gate.asMono().map(v -> List.of(ConversationBatcher.Outcome.of(v)))
                : Mono.fromRunnable(() -> gate.tryEmitValue("open")).thenReturn(List.of(ConversationBatcher.Outcome.of("b"))),
                100, 10, Duration.ofSeconds(5));

        // a waits for b; if the two keys shared one lane this would never finish.
        StepVerifier.create(Flux.merge(batcher.submit("r:a", "x"), batcher.submit("r:b", "y")).collectList())
                .assertNext(results -> assertThat(results).containsExactlyInAnyOrder("open", "b"))
                .expectComplete()
                .verify(TIMEOUT);
        assertThat(batcher.activeKeys()).isZero();
    }

    @Test
    void failsOnlyTheItemsWhoseOutcomeFailed_andTheWholeBatchWhenTheRunFails() {
        ConversationBatcher<String, String> batcher = batcher(1000, 64, Duration.ofMillis(5));

        StepVerifier.create(Flux.merge(batcher.submit("r:a", "ok1"),
                        batcher.submit("r:a", "bad1").onErrorResume(e -> Mono.just("failed " + e.getMessage())),
                        batcher.submit("r:a", "ok2")).collectList())
                .assertNext(r -> assertThat(r).containsExactlyInAnyOrder("r:a/ok1", "failed bad1", "r:a/ok2"))
                .expectComplete()
                .verify(TIMEOUT);

        ConversationBatcher<String, String> broken = new ConversationBatcher<>(
                (key, items) -> Mono.error(new IllegalStateException("boom")), 100, 10, Duration.ofSeconds(5));
        StepVerifier.create(broken.submit("r:a", "x")).expectErrorMessage("boom").verify(TIMEOUT);
        StepVerifier.create(broken.submit("r:a", "y")).expectErrorMessage("boom").verify(TIMEOUT);
        assertThat(broken.activeKeys()).isZero();

        ConversationBatcher<String, String> wrongSize = new ConversationBatcher<>(
                (key, items) -> Mono.just(List.of()), 100, 10, Duration.ofSeconds(5));
        StepVerifier.create(wrongSize.submit("r:a", "x")).expectError(IllegalStateException.class).verify(TIMEOUT);
    }

    @Test
    void failsTheBatchAndFreesTheLane_whenARunNeverEnds() {
        AtomicInteger calls = new AtomicInteger();
        ConversationBatcher<String, String> batcher = new ConversationBatcher<>((key, items) -> calls.getAndIncrement() == 0
                ? Mono.never() : Mono.just(List.of(ConversationBatcher.Outcome.of("later"))), 100, 10, Duration.ofMillis(200));

        StepVerifier.create(batcher.submit("r:a", "lost")).expectError(StoreUnavailableException.class).verify(TIMEOUT);
        StepVerifier.create(batcher.submit("r:a", "next")).expectNext("later").expectComplete().verify(TIMEOUT);
        assertThat(batcher.activeKeys()).isZero();
    }

    @Test
    void leavesOutAWaitingItem_whoseSubscriberCancelled() {
        Sinks.One<String> firstDone = Sinks.one();
        List<List<String>> seen = new CopyOnWriteArrayList<>();
        ConversationBatcher<String, String> batcher = new ConversationBatcher<>((key, items) -> {
            seen.add(List.copyOf(items));
            Mono<String> first = items.get(0).equals("first") ? firstDone.asMono() : Mono.just("x");
            return first.map(v -> items.stream().map(i -> ConversationBatcher.Outcome.of(i)).toList());
        }, 100, 10, Duration.ofSeconds(5));
        List<String> results = new CopyOnWriteArrayList<>();

        batcher.submit("r:a", "first").subscribe(results::add);
        Disposable second = batcher.submit("r:a", "second").subscribe(results::add);
        Mono<String> third = batcher.submit("r:a", "third");
        Disposable thirdRun = third.subscribe(results::add);

        second.dispose();
        firstDone.tryEmitValue("go");

        Flux.interval(Duration.ofMillis(5)).takeUntil(t -> results.size() == 2).blockLast(TIMEOUT);
        assertThat(results).containsExactly("first", "third");
        assertThat(seen).containsExactly(List.of("first"), List.of("third"));
        assertThat(thirdRun.isDisposed()).isTrue();
        assertThat(batcher.activeKeys()).isZero();
    }

    @Test
    void rejectsAnItem_whenTooManyAreWaiting() {
        Sinks.One<String> gate = Sinks.one();
        ConversationBatcher<String, String> small = new ConversationBatcher<>((key, items) -> (items.get(0).equals("first")
                ? gate.asMono() : Mono.just("x")).map(v -> items.stream().map(ConversationBatcher.Outcome::of).toList()),
                2, 10, Duration.ofSeconds(5));
        List<String> done = new CopyOnWriteArrayList<>();
        small.submit("r:a", "first").subscribe(done::add);
        small.submit("r:a", "w1").subscribe(done::add);
        small.submit("r:a", "w2").subscribe(done::add);

        StepVerifier.create(small.submit("r:a", "w3")).expectError(HistoryBusyException.class).verify(TIMEOUT);
        StepVerifier.create(small.submit("r:b", "other")).expectNext("other").expectComplete().verify(TIMEOUT);

        gate.tryEmitValue("go");
        Flux.interval(Duration.ofMillis(5)).takeUntil(t -> done.size() == 3).blockLast(TIMEOUT);
        StepVerifier.create(small.submit("r:a", "after")).expectNext("after").expectComplete().verify(TIMEOUT);
        assertThat(done).containsExactly("first", "w1", "w2");
        assertThat(small.activeKeys()).isZero();
    }

    @Test
    void doesNotGrowTheStack_whenManySynchronousBatchesQueue() {
        ConversationBatcher<String, String> oneByOne = batcher(20_000, 1, Duration.ZERO);

        StepVerifier.create(Flux.range(0, 10_000).flatMap(i -> oneByOne.submit("r:a", "m" + i), 10_000).count())
                .expectNext(10_000L)
                .expectComplete()
                .verify(TIMEOUT);
        assertThat(batches).hasSize(10_000);
        assertThat(oneByOne.activeKeys()).isZero();
    }
}
