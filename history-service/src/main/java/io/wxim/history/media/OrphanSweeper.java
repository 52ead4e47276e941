package io.wxim.history.media;

import io.wxim.support.PeriodicTask;
import java.time.Clock;
import java.time.Duration;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Deletes uploads never sent in a message once they are older than the orphan TTL, a bounded batch every sweep
 * interval. The metadata goes first and only while still unused (one conditional delete), so a message claiming the
 * file at that moment either wins (the file stays) or finds no file (404 to its sender); never a message without bytes.
 * It also finishes interrupted deletions of released files, and decides the release of files a recall held
 * ({@link io.wxim.history.message.MediaClaims#hold}) but did not settle (a claim whose message was not stored yet, or a
 * failure after the recall), until released or shown again.
 */
class OrphanSweeper extends PeriodicTask {
    private static final Logger log = LoggerFactory.getLogger(OrphanSweeper.class);
    private static final int BATCH = 100;

    private final MediaRepository repository;
    private final MediaFiles files;
    private final MediaService media;
    private final MediaProperties props;
    private final Clock clock;
    /** A hold younger than this may belong to a recall still in progress, which settles it itself. */
    private final Duration settleHoldsAfter;
    /** {@link io.wxim.history.message.MessageService#releaseIfUnshown}: true once decided. */
    private final Function<String, Mono<Boolean>> releaseIfUnshown;

    OrphanSweeper(MediaRepository repository, MediaFiles files, MediaService media, MediaProperties props, Clock clock,
                  Duration settleHoldsAfter, Function<String, Mono<Boolean>> releaseIfUnshown) {
        super("orphan sweep", props.sweepInterval());
        this.settleHoldsAfter = settleHoldsAfter;
        this.releaseIfUnshown = releaseIfUnshown;
        this.repository = repository;
        this.files = files;
        this.media = media;
        this.props = props;
        this.clock = clock;
    }

    @Override
    protected Mono<Long> runOnce() {
        return sweep();
    }

    /** One sweep; emits how many uploads were deleted (orphans, and released files whose deletion was interrupted). */
    Mono<Long> sweep() {
        Mono<Long> orphans = repository.orphans(clock.instant().minus(props.orphanTtl()), BATCH)
                .concatMap(doc -> repository.deleteIfUnused(doc.id())
                        .filter(Boolean::booleanValue)
                        .flatMap(deleted -> files.delete(doc.id()).thenReturn(doc.id())))
                .count()
                .doOnNext(n -> {
                    if (n > 0) {
                        log.info("orphaned uploads deleted: count={}", n);
                    }
                });
        Mono<Long> released = repository.released(BATCH)
                .concatMap(id -> media.deleteReleased(id).thenReturn(id))
                .count()
                .doOnNext(n -> {
                    if (n > 0) {
                        log.info("recalled uploads whose deletion was interrupted deleted: count={}", n);
                    }
                });
        Mono<Long> pending = repository.held(clock.instant().minus(settleHoldsAfter), BATCH)
                .concatMap(waiting -> releaseIfUnshown.apply(waiting.id())
                        .flatMap(decided -> decided ? repository.removeHolds(waiting).thenReturn(1L) : Mono.just(0L))
                        .onErrorResume(e -> {
                            log.warn("release of a recalled upload not decided: mediaId={} error={}", waiting.id(), e.toString());
                            return Mono.just(0L);
                        }))
                .reduce(0L, Long::sum)
                .doOnNext(n -> {
                    if (n > 0) {
                        log.info("recalled uploads waiting for a release settled: count={}", n);
                    }
                });
        // one stage after the other: a failing stage must not cancel another between its record and its bytes
        return Flux.concat(orphans, released, pending).reduce(0L, Long::sum);
    }
}
