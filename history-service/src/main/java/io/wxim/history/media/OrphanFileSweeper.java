package io.wxim.history.media;

import io.wxim.history.media.OrphanFileRepository.FileEntry;
import java.time.Clock;
import java.util.Date;
import java.util.List;
import org.bson.types.ObjectId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import reactor.core.Disposable;
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
 * over (a file whose record went after the pass had passed it is found by the next pass). Each instance keeps its own
 * place, in memory: a restart starts a new pass.
 */
class OrphanFileSweeper implements SmartLifecycle {
    private static final Logger log = LoggerFactory.getLogger(OrphanFileSweeper.class);

    private final OrphanFileRepository repository;
    private final MediaProperties.FileSweep props;
    private final Clock clock;
    /**
     * The last file the current pass examined (null: the next run starts a pass from the first). Written only at the end
     * of a batch of a run, and runs go one at a time, so a run cut off resumes after its last finished batch.
     */
    private volatile ObjectId resumeAfter;
    private volatile Disposable task;

    OrphanFileSweeper(OrphanFileRepository repository, MediaProperties.FileSweep props, Clock clock) {
        this.repository = repository;
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
     */
    record Run(int examined, int filesDeleted, long chunksDeleted, int failed, boolean passCompleted) {
        Run plus(Run batch) {
            return new Run(examined + batch.examined, filesDeleted + batch.filesDeleted,
                    chunksDeleted + batch.chunksDeleted, failed + batch.failed, batch.passCompleted);
        }
    }

    /**
     * One run: batches from where the last run stopped, until {@code maxPerRun} files or the end of the pass; bounded by
     * {@code runTimeout}.
     */
    Mono<Run> sweep() {
        ObjectId before = ObjectId.getSmallestWithDate(Date.from(clock.instant().minus(props.minAge())));
        return batches(before, new Run(0, 0, 0, 0, false))
                .timeout(props.runTimeout())
                .doOnNext(run -> {
                    if (run.filesDeleted() > 0 || run.chunksDeleted() > 0 || run.failed() > 0) {
                        log.info("GridFS sweep: unreferenced files deleted={} chunks without a file deleted={} failed={} "
                                + "examined={}", run.filesDeleted(), run.chunksDeleted(), run.failed(), run.examined());
                    } else {
                        log.debug("GridFS sweep: nothing to delete examined={} passCompleted={}", run.examined(),
                                run.passCompleted());
                    }
                });
    }

    private Mono<Run> batches(ObjectId before, Run done) {
        ObjectId after = resumeAfter;
        int limit = Math.min(props.batchSize(), props.maxPerRun() - done.examined());
        return repository.files(after, before, limit)
                .flatMap(page -> batch(after, before, page, page.size() < limit))
                .flatMap(batch -> {
                    Run total = done.plus(batch);
                    return batch.passCompleted() || total.examined() >= props.maxPerRun()
                            ? Mono.just(total) : batches(before, total);
                });
    }

    /** One batch: its unreferenced files, then the chunks of its range without a file; then the place moves on. */
    private Mono<Run> batch(ObjectId after, ObjectId before, List<FileEntry> page, boolean last) {
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
                                        resumeAfter = last ? null : upTo;
                                    })
                                    .map(chunks -> new Run(page.size(), deleted.size(), chunks,
                                            unreferenced.size() - deleted.size(), last));
                        }));
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

    @Override
    public void start() {
        task = Flux.interval(props.interval(), props.interval())
                .onBackpressureDrop()
                .concatMap(tick -> sweep().onErrorResume(e -> {
                    log.warn("GridFS sweep failed, resumes at the next run: error={}", e.toString());
                    return Mono.empty();
                }), 0)
                .subscribe();
    }

    @Override
    public void stop() {
        Disposable running = task;
        task = null;
        if (running != null) {
            running.dispose();
        }
    }

    @Override
    public boolean isRunning() {
        return task != null;
    }
}
