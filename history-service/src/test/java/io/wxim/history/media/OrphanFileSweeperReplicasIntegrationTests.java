package io.wxim.history.media;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wxim.history.media.OrphanFileSweeper.Run;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import org.bson.Document;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * Runs of several instances (each a fresh sweeper, sharing only the database): the place they share in
 * {@code sweeps}, and the lease that lets one run at a time walk. A run is held inside a batch by a gate in front of
 * its media-record lookup, so another instance's run can be tried while it walks.
 */
class OrphanFileSweeperReplicasIntegrationTests extends FileSweepTestBase {

    @Test
    void goesOnFromTheStoredPlace_whenAFreshInstanceRuns() {
        List<ObjectId> kept = keptFiles(4);
        ObjectId orphanA = storeFile(ago(Duration.ofMinutes(200)), "m-orphanA");
        ObjectId orphanB = storeFile(ago(Duration.ofMinutes(190)), "m-orphanB");

        Run first = sweeper(2, 3).sweep().block(WAIT);

        assertThat(first.examined()).isEqualTo(3);
        assertThat(sweepDocument().get("after")).isEqualTo(kept.get(2));
        assertThat(sweepDocument()).as("released at the run's end").doesNotContainKeys("owner", "until");

        Run afterRestart = sweeper(2, 3).sweep().block(WAIT);

        assertThat(afterRestart.examined()).isEqualTo(3);
        assertThat(afterRestart.filesDeleted()).isEqualTo(2);
        assertThat(List.of(files(orphanA), files(orphanB), files(kept.get(0)), files(kept.get(3))))
                .containsExactly(0L, 0L, 1L, 1L);
        Run last = sweeper(2, 3).sweep().block(WAIT);
        assertThat(last.examined()).isZero();
        assertThat(last.passCompleted()).isTrue();
        assertThat(sweepDocument()).as("the next run starts a new pass").doesNotContainKey("after");
    }

    @Test
    void skipsItsRun_whileAnotherInstanceWalks() throws Exception {
        ObjectId orphan = storeFile(ago(Duration.ofHours(2)), "m-orphan");
        Gate gate = new Gate();
        CompletableFuture<Run> walking = sweeper(gated(lookup -> gate.hold()), 100, 2000, Clock.systemUTC())
                .sweep().toFuture();
        gate.awaitReached();

        assertThat(sweeper(100, 2000).sweep().blockOptional(WAIT)).as("skipped").isEmpty();
        assertThat(files(orphan)).isEqualTo(1);

        gate.open();
        assertThat(walking.get(WAIT.toSeconds(), TimeUnit.SECONDS).filesDeleted()).isEqualTo(1);
        assertThat(files(orphan)).isZero();
    }

    /** As an instance that died mid-run leaves the sweep: its place, and its lease until it lapses. */
    @Test
    void takesTheSweepOverFromItsPlace_onceTheLeaseOfAStoppedInstanceLapsed() {
        List<ObjectId> kept = keptFiles(2);
        ObjectId orphan = storeFile(ago(Duration.ofMinutes(200)), "m-orphan");
        mongo.insert(new Document("_id", OrphanFileSweeper.NAME).append("after", kept.get(1))
                .append("owner", "a-stopped-run").append("until", Date.from(now.plusSeconds(30))),
                SweepRepository.COLLECTION).block(WAIT);

        assertThat(sweeper(100, 2000).sweep().blockOptional(WAIT)).as("the lease holds").isEmpty();

        Run takenOver = sweeper(100, 2000, Clock.offset(Clock.systemUTC(), LEASE)).sweep().block(WAIT);

        assertThat(takenOver.examined()).as("from the stopped run's place").isEqualTo(1);
        assertThat(files(orphan)).isZero();
        assertThat(sweepDocument()).doesNotContainKeys("owner", "until", "after");
    }

    /** The walking run's clock moves 40 s during its first batch; the other instance's reads 70 s after the start. */
    @Test
    void keepsTheSweep_pastItsFirstLease_byExtendingItAfterEachBatch() throws Exception {
        keptFiles(2);
        ObjectId orphan = storeFile(ago(Duration.ofMinutes(200)), "m-orphan");
        Instant start = Instant.now();
        SettableClock walkerClock = new SettableClock(start);
        Gate gate = new Gate();
        CompletableFuture<Run> walking = sweeper(gated(lookup -> {
            if (lookup == 1) {
                walkerClock.set(start.plusSeconds(40));
                return Mono.empty();
            }
            return gate.hold();
        }), 1, 2000, walkerClock).sweep().toFuture();
        gate.awaitReached();

        Clock later = Clock.fixed(start.plusSeconds(70), ZoneOffset.UTC);
        assertThat(sweeper(100, 2000, later).sweep().blockOptional(WAIT)).as("extended to 100 s").isEmpty();

        gate.open();
        assertThat(walking.get(WAIT.toSeconds(), TimeUnit.SECONDS).examined()).isEqualTo(3);
        assertThat(files(orphan)).isZero();
    }

    /** A run stalled past its lease: another instance took over and finished the pass meanwhile. */
    @Test
    void stopsWithoutMovingThePlace_whenAnotherInstanceTookItsLapsedLeaseOver() throws Exception {
        keptFiles(3);
        ObjectId orphan = storeFile(ago(Duration.ofMinutes(200)), "m-orphan");
        Gate gate = new Gate();
        CompletableFuture<Run> stalled = sweeper(gated(lookup -> gate.hold()), 1, 2000, Clock.systemUTC())
                .sweep().toFuture();
        gate.awaitReached();

        Run takenOver = sweeper(100, 2000, Clock.offset(Clock.systemUTC(), LEASE.plusSeconds(1))).sweep().block(WAIT);
        assertThat(takenOver.passCompleted()).isTrue();
        assertThat(files(orphan)).isZero();

        gate.open();
        Run stopped = stalled.get(WAIT.toSeconds(), TimeUnit.SECONDS);

        assertThat(stopped.overtaken()).isTrue();
        assertThat(stopped.examined()).as("no batch after the refused write").isEqualTo(1);
        assertThat(sweepDocument()).as("the pass the other run completed").doesNotContainKeys("after", "owner", "until");
    }

    @Test
    void releasesTheSweep_whenARunFails() {
        ObjectId orphan = storeFile(ago(Duration.ofHours(2)), "m-orphan");
        OrphanFileSweeper failing = sweeper(gated(lookup -> Mono.error(new IllegalStateException("records unreadable"))),
                100, 2000, Clock.systemUTC());

        assertThatThrownBy(() -> failing.sweep().block(WAIT)).hasMessageContaining("records unreadable");

        assertThat(sweeper(100, 2000).sweep().block(WAIT).filesDeleted()).isEqualTo(1);
        assertThat(files(orphan)).isZero();
    }

    /** As at shutdown: stopping the schedule cancels the run. */
    @Test
    void releasesTheSweep_whenARunIsCancelled() throws InterruptedException {
        ObjectId orphan = storeFile(ago(Duration.ofHours(2)), "m-orphan");
        Gate gate = new Gate();
        Disposable run = sweeper(gated(lookup -> gate.hold()), 100, 2000, Clock.systemUTC()).sweep().subscribe();
        gate.awaitReached();

        run.dispose();
        Instant deadline = Instant.now().plus(WAIT);
        while (sweepDocument().containsKey("owner") && Instant.now().isBefore(deadline)) {
            Thread.sleep(20);
        }

        assertThat(sweeper(100, 2000).sweep().block(WAIT).filesDeleted()).isEqualTo(1);
        assertThat(files(orphan)).isZero();
    }

    /** {@code count} files with records, 240, 230, ... minutes old. */
    private List<ObjectId> keptFiles(int count) {
        List<ObjectId> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ObjectId id = storeFile(ago(Duration.ofMinutes(240 - i * 10)), "m-kept" + i);
            record("m-kept" + i, id);
            ids.add(id);
        }
        return ids;
    }

    /** The store, with {@code step} run before each batch's media-record lookup (given its number, from 1). */
    private OrphanFileRepository gated(IntFunction<Mono<Void>> step) {
        AtomicInteger lookups = new AtomicInteger();
        return new OrphanFileRepository(mongo, Duration.ofSeconds(5)) {
            @Override
            Mono<Set<String>> recorded(Collection<String> mediaIds) {
                return Mono.defer(() -> step.apply(lookups.incrementAndGet())).then(super.recorded(mediaIds));
            }
        };
    }

    /** Holds a run until opened; tells when a run got there. */
    private static final class Gate {
        private final Sinks.Empty<Void> reached = Sinks.empty();
        private final Sinks.Empty<Void> opened = Sinks.empty();

        Mono<Void> hold() {
            return Mono.defer(() -> {
                reached.tryEmitEmpty();
                return opened.asMono();
            });
        }

        void awaitReached() {
            reached.asMono().block(WAIT);
        }

        void open() {
            opened.tryEmitEmpty();
        }
    }

    private static final class SettableClock extends Clock {
        private volatile Instant instant;

        SettableClock(Instant instant) {
            this.instant = instant;
        }

        void set(Instant instant) {
            this.instant = instant;
        }

        @Override
        public Instant instant() {
            return instant;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException();
        }
    }
}
