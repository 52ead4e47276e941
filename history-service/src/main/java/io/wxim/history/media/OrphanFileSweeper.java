package io.wxim.history.media;

import io.wxim.history.media.OrphanFileRepository.FileEntry;
import io.wxim.history.media.SweepRepository.Lease;
import io.wxim.support.PeriodicTask;
import java.time.Clock;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bson.types.ObjectId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The file-driven sweep: deletes GridFS files that no media record names, and chunks that no file entry owns, once
 * their upload started more than {@code minAge} ago. {@link OrphanSweeper} starts from the records, so it never finds
 * bytes whose record was never written (an upload cancelled while the driver wrote its file entry, which the upload's
 * cleanup then missed; a crash between the bytes and the record), nor a file whose record it deleted when deleting the
 * file failed; the driver also leaves chunks without a file entry when an upload is cut off (its cleanup races chunk
 * inserts still in flight, or never runs) or a delete is cut between the entry and the chunks.
 *
 * <p>A pass walks the file entries by ascending {@code _id} (the upload's start) from the first up to
 * {@code now - minAge}, a batch at a time: one query for the batch, one for the media records of its names, a delete per
 * file without one, then one delete of the chunks in the batch's id range that belong to none of its remaining files (all
 * file entries of that range are in the batch, so those chunks have none). A run examines at most {@code maxPerRun}
 * files; the next run goes on after the last one, and a run that reaches the end finishes the pass, so the next starts
 * over (a file whose record went after the pass had passed it is found by the next pass).
 *
 * <p>The place is shared by every instance ({@link SweepRepository}, sweep {@value #NAME}), so a restart goes on and
 * replicas take turns in one pass: a run claims the sweep's lease or, while another run holds it, skips; it moves the
 * place and extends the lease after each batch, stops if another run took the lease over meanwhile (its own had
 * lapsed), and gives the lease up when it ends, however it ends.
 */
class OrphanFileSweeper extends PeriodicTask {
    /** The sweep's name: its document's {@code _id} in {@code sweeps}. */
    static final String NAME = "gridfs-files";
    private static final Logger log = LoggerFactory.getLogger(OrphanFileSweeper.class);
    private static final Run NOTHING = new Run(0, 0, 0, 0, false, false);

    private final OrphanFileRepository repository;
    private final SweepRepository sweeps;
    private final MediaProperties.FileSweep props;
    private final Clock clock;

    OrphanFileSweeper(OrphanFileRepository repository, SweepRepository sweeps, MediaProperties.FileSweep props,
                      Clock clock) {
        super("GridFS sweep", props.interval());
        this.repository = repository;
        this.sweeps = sweeps;
        this.props = props;
        this.clock = clock;
    }

    /**
     * What a run did.
     *
     * @param examined      file entries read
     * @param filesDeleted  files deleted (no media record named them)
     * @param chunksDeleted chunks deleted (no file entry owned them), those of the deleted files not counted
     * @param failed        files whose deletion failed (logged; the next pass tries again)
     * @param passCompleted the run reached the youngest file old enough: the next run starts a new pass
     * @param overtaken     another run took the lease over (this one's had lapsed): this one stopped, its last batch's
     *                      place not written
     */
    record Run(int examined, int filesDeleted, long chunksDeleted, int failed, boolean passCompleted,
               boolean overtaken) {
        Run plus(Run batch) {
            return new Run(examined + batch.examined, filesDeleted + batch.filesDeleted,
                    chunksDeleted + batch.chunksDeleted, failed + batch.failed, batch.passCompleted, batch.overtaken);
        }
    }

    @Override
    protected Mono<Run> runOnce() {
        return sweep();
    }

    /**
     * One run: claims the sweep, then batches from the stored place until {@code maxPerRun} files, the end of the pass
     * or a take-over; bounded by {@code runTimeout}. Emits nothing if another run holds the sweep.
     */
    Mono<Run> sweep() {
        Instant now = clock.instant();
        ObjectId before = ObjectId.getSmallestWithDate(Date.from(now.minus(props.minAge())));
        String owner = new ObjectId().toHexString();
        return Mono.usingWhen(sweeps.claim(NAME, owner, now, now.plus(props.lease())),
                        lease -> batches(lease, lease.after(), before, NOTHING).timeout(props.runTimeout()),
                        this::release, (lease, failure) -> releaseAfterFailure(lease), this::release)
                .doOnNext(run -> {
                    if (run.filesDeleted() > 0 || run.chunksDeleted() > 0 || run.failed() > 0 || run.overtaken()) {
                        log.info("GridFS sweep: unreferenced files deleted={} chunks without a file deleted={} failed={} "
                                + "examined={} overtaken={}", run.filesDeleted(), run.chunksDeleted(), run.failed(),
                                run.examined(), run.overtaken());
                    } else {
                        log.debug("GridFS sweep: nothing to delete examined={} passCompleted={}", run.examined(),
                                run.passCompleted());
                    }
                })
                .switchIfEmpty(Mono.fromRunnable(() -> log.debug("GridFS sweep skipped: another run holds it")));
    }

    private Mono<Run> batches(Lease lease, ObjectId after, ObjectId before, Run done) {
        int limit = Math.min(props.batchSize(), props.maxPerRun() - done.examined());
        return repository.files(after, before, limit)
                .flatMap(page -> batch(lease, after, before, page, page.size() < limit))
                .flatMap(batch -> {
                    Run total = done.plus(batch.run());
                    return batch.run().passCompleted() || batch.run().overtaken() || total.examined() >= props.maxPerRun()
                            ? Mono.just(total) : batches(lease, batch.upTo(), before, total);
                });
    }

    /** What a batch did, and the last id it covered. */
    private record Batch(Run run, ObjectId upTo) {
    }

    /**
     * One batch: its unreferenced files, then the chunks of its range without a file; then the place moves on and the
     * lease is extended, unless another run took it over.
     */
    private Mono<Batch> batch(Lease lease, ObjectId after, ObjectId before, List<FileEntry> page, boolean last) {
        return repository.recorded(page.stream().map(FileEntry::filename).toList())
                .map(names -> page.stream().filter(file -> !names.contains(file.filename())).toList())
                .flatMap(unreferenced -> Flux.fromIterable(unreferenced).concatMap(this::delete).collectList()
                        .flatMap(deleted -> {
                            List<ObjectId> kept = page.stream().map(FileEntry::id)
                                    .filter(id -> !deleted.contains(id)).toList();
                            ObjectId upTo = last ? before : page.get(page.size() - 1).id();
                            return repository.deleteChunksWithoutFile(after, upTo, !last, kept)
                                    .doOnNext(chunks -> {
                                        if (chunks > 0) {
                                            log.info("GridFS chunks without a file deleted: count={} after={} upTo={}",
                                                    chunks, after, upTo);
                                        }
                                    })
                                    .flatMap(chunks -> sweeps.advance(lease, last ? null : upTo,
                                                    clock.instant().plus(props.lease()))
                                            .map(held -> new Batch(new Run(page.size(), deleted.size(), chunks,
                                                    unreferenced.size() - deleted.size(), last && held, !held), upTo)));
                        }));
    }

    /** Ends the lease at a run's end or cancel; if that fails, one line, and the lease lapses by itself. */
    private Mono<Void> release(Lease lease) {
        return sweeps.release(lease).onErrorResume(e -> {
            log.warn("GridFS sweep lease not given up, lapses within {}: error={}", props.lease(), e.toString());
            return Mono.empty();
        });
    }

    /** As {@link #release}, after a failed run, whose own line tells the failure (MongoDB, most likely). */
    private Mono<Void> releaseAfterFailure(Lease lease) {
        return sweeps.release(lease).onErrorResume(e -> {
            log.debug("GridFS sweep lease not given up after a failed run: error={}", e.toString());
            return Mono.empty();
        });
    }

    /** Deletes one unreferenced file; emits its id, or nothing if that failed (logged; the next pass tries again). */
    private Mono<ObjectId> delete(FileEntry file) {
        return repository.deleteFile(file.id())
                .then(Mono.fromSupplier(() -> {
                    log.info("unreferenced GridFS file deleted: fileId={} mediaId={}", file.id(), file.filename());
                    return file.id();
                }))
                .onErrorResume(e -> {
                    log.warn("unreferenced GridFS file not deleted: fileId={} mediaId={} error={}", file.id(),
                            file.filename(), e.toString());
                    return Mono.empty();
                });
    }
}
