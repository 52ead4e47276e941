package io.wxim.history.message;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
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

class ConversationSerializerTests {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final ConversationSerializer serializer = new ConversationSerializer(1000);

    @Test
    void runsTasksOneAtATimeInOrder_whenSameConversation() {
        AtomicInteger running = new AtomicInteger();
        AtomicInteger maxRunning = new AtomicInteger();
        List<Integer> started = new CopyOnWriteArrayList<>();

        Flux<Integer> all = Flux.range(0, 50).flatMap(i -> serializer.run("r:a", () -> {
            started.add(i);
            maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
            return Mono.delay(Duration.ofMillis(1)).doOnNext(t -> running.decrementAndGet()).thenReturn(i);
        }), 50);

        StepVerifier.create(all.collectList())
                .assertNext(done -> assertThat(done).containsExactlyInAnyOrderElementsOf(started))
                .expectComplete()
                .verify(TIMEOUT);
        assertThat(maxRunning).hasValue(1);
        assertThat(started).containsExactlyElementsOf(IntStream.range(0, 50).boxed().toList());
        assertThat(serializer.activeKeys()).isZero();
    }

    @Test
    void runsConcurrently_whenConversationsDiffer() {
        Sinks.One<String> gate = Sinks.one();
        // a waits for b; if the two keys shared one lane this would never finish.
        Mono<String> a = serializer.run("r:a", gate::asMono);
        Mono<String> b = serializer.run("r:b", () -> Mono.fromRunnable(() -> gate.tryEmitValue("open")).thenReturn("b"));

        StepVerifier.create(Flux.merge(a, b).collectList())
                .assertNext(results -> assertThat(results).containsExactlyInAnyOrder("open", "b"))
                .expectComplete()
                .verify(TIMEOUT);
        assertThat(serializer.activeKeys()).isZero();
    }

    @Test
    void runsNextTask_whenPreviousFails() {
        Mono<String> failing = serializer.run("r:a", () -> Mono.error(new IllegalStateException("boom")));
        Mono<String> next = serializer.run("r:a", () -> Mono.just("next"));

        StepVerifier.create(failing).expectError(IllegalStateException.class).verify(TIMEOUT);
        StepVerifier.create(next).expectNext("next").expectComplete().verify(TIMEOUT);
        assertThat(serializer.activeKeys()).isZero();
    }

    @Test
    void skipsWaiter_whenItsSubscriberCancels() {
        Sinks.One<String> firstDone = Sinks.one();
        AtomicInteger cancelledRan = new AtomicInteger();
        List<String> results = new CopyOnWriteArrayList<>();

        Disposable first = serializer.run("r:a", firstDone::asMono).subscribe(results::add);
        Disposable second = serializer.run("r:a", () -> Mono.fromCallable(() -> {
            cancelledRan.incrementAndGet();
            return "second";
        })).subscribe(results::add);
        Mono<String> third = serializer.run("r:a", () -> Mono.just("third"));

        second.dispose();
        firstDone.tryEmitValue("first");

        StepVerifier.create(third).expectNext("third").expectComplete().verify(TIMEOUT);
        assertThat(results).containsExactly("first");
        assertThat(cancelledRan).hasValue(0);
        assertThat(first.isDisposed()).isTrue();
        assertThat(serializer.activeKeys()).isZero();
    }

    @Test
    void releasesLane_whenRunningTaskIsCancelled() {
        Disposable hanging = serializer.run("r:a", Mono::<String>never).subscribe();
        Mono<String> next = serializer.run("r:a", () -> Mono.just("next"));

        hanging.dispose();

        StepVerifier.create(next).expectNext("next").expectComplete().verify(TIMEOUT);
        assertThat(serializer.activeKeys()).isZero();
    }

    @Test
    void rejectsTask_whenTooManyAreWaiting() {
        ConversationSerializer small = new ConversationSerializer(2);
        Sinks.One<String> gate = Sinks.one();
        List<String> ran = new CopyOnWriteArrayList<>();
        small.run("r:a", () -> gate.asMono().doOnNext(ran::add)).subscribe();
        small.run("r:a", () -> recording(ran, "w1")).subscribe();
        small.run("r:a", () -> recording(ran, "w2")).subscribe();

        StepVerifier.create(small.run("r:a", () -> recording(ran, "w3")))
                .expectError(HistoryBusyException.class)
                .verify(TIMEOUT);
        StepVerifier.create(small.run("r:b", () -> Mono.just("other")))
                .expectNext("other").expectComplete().verify(TIMEOUT);

        gate.tryEmitValue("first");
        StepVerifier.create(small.run("r:a", () -> recording(ran, "after")))
                .expectNext("after").expectComplete().verify(TIMEOUT);
        assertThat(ran).containsExactly("first", "w1", "w2", "after");
        assertThat(small.activeKeys()).isZero();
    }

    private static Mono<String> recording(List<String> ran, String name) {
        return Mono.fromCallable(() -> {
            ran.add(name);
            return name;
        });
    }

    @Test
    void doesNotGrowTheStack_whenManySynchronousTasksQueue() {
        ConversationSerializer roomy = new ConversationSerializer(10_000);
        Sinks.One<Integer> gate = Sinks.one();
        Mono<Integer> first = roomy.run("r:a", gate::asMono);
        Flux<Integer> queued = Flux.range(1, 10_000).flatMap(i -> roomy.run("r:a", () -> Mono.just(i)), 10_000);
        Mono<Void> open = Mono.fromRunnable(() -> gate.tryEmitValue(0));

        StepVerifier.create(Flux.merge(first, queued, open).count())
                .expectNext(10_001L)
                .expectComplete()
                .verify(TIMEOUT);
        assertThat(roomy.activeKeys()).isZero();
    }
}
