package io.wxim.history.media;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.data.mongodb.core.query.Criteria.where;
import static org.springframework.data.mongodb.core.query.Query.query;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.Test;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.data.mongodb.core.query.Update;
import reactor.core.publisher.Flux;

/** What the file-driven GridFS sweep deletes and keeps, and how its runs go through the store. */
class OrphanFileSweeperIntegrationTests extends FileSweepTestBase {

    @Test
    void deletesAnOldFileAndItsChunks_whenNoMediaRecordNamesIt() {
        ObjectId orphan = storeFile(ago(Duration.ofHours(2)), "m-orphan");
        assertThat(chunks(orphan)).isEqualTo(3);

        OrphanFileSweeper.Run run = sweeper(100, 2000).sweep().block(WAIT);

        assertThat(files(orphan)).isZero();
        assertThat(chunks(orphan)).isZero();
        assertThat(run.filesDeleted()).isEqualTo(1);
        assertThat(run.passCompleted()).isTrue();
    }

    @Test
    void keepsOldFiles_whoseMediaRecordExists_releasedOrNot() {
        ObjectId kept = storeFile(ago(Duration.ofHours(3)), "m-kept");
        record("m-kept", kept);
        ObjectId released = storeFile(ago(Duration.ofHours(2)), "m-released");
        record("m-released", released);
        mongo.updateFirst(query(where("_id").is("m-released")), new Update().set("released", true), MediaDocument.COLLECTION)
                .block(WAIT);

        OrphanFileSweeper.Run run = sweeper(100, 2000).sweep().block(WAIT);

        assertThat(run.examined()).isEqualTo(2);
        assertThat(run.filesDeleted()).isZero();
        assertThat(List.of(files(kept), chunks(kept), files(released), chunks(released))).containsExactly(1L, 3L, 1L, 3L);
    }

    @Test
    void keepsAYoungFileAndYoungChunks_withoutARecord() {
        ObjectId youngFile = storeFile(ago(Duration.ofMinutes(10)), "m-young");
        ObjectId youngChunks = insertChunks(ago(Duration.ofMinutes(10)), 2);

        OrphanFileSweeper.Run run = sweeper(100, 2000).sweep().block(WAIT);

        assertThat(run.examined()).isZero();
        assertThat(List.of(files(youngFile), chunks(youngFile), chunks(youngChunks))).containsExactly(1L, 3L, 2L);
    }

    /** Four files with records come first: a run that always started from the first would never reach the orphans. */
    @Test
    void goesOnWhereTheLastRunStopped_whenARunReachesItsLimit() {
        for (int i = 0; i < 4; i++) {
            ObjectId id = storeFile(ago(Duration.ofMinutes(240 - i * 10)), "m-kept" + i);
            record("m-kept" + i, id);
        }
        ObjectId orphanA = storeFile(ago(Duration.ofMinutes(200)), "m-orphanA");
        ObjectId orphanB = storeFile(ago(Duration.ofMinutes(190)), "m-orphanB");
        OrphanFileSweeper sweeper = sweeper(2, 3);

        OrphanFileSweeper.Run first = sweeper.sweep().block(WAIT);

        assertThat(first.examined()).isEqualTo(3);
        assertThat(first.passCompleted()).isFalse();
        assertThat(List.of(files(orphanA), files(orphanB))).as("past the first run's limit").containsExactly(1L, 1L);

        OrphanFileSweeper.Run second = sweeper.sweep().block(WAIT);

        assertThat(second.examined()).isEqualTo(3);
        assertThat(second.filesDeleted()).isEqualTo(2);
        assertThat(List.of(files(orphanA), chunks(orphanA), files(orphanB), chunks(orphanB))).containsOnly(0L);
        assertThat(mongo.count(query(where("filename").regex("^m-kept")), OrphanFileRepository.FILES).block(WAIT)).isEqualTo(4);
        OrphanFileSweeper.Run third = sweeper.sweep().block(WAIT);
        assertThat(third.examined()).as("nothing left after the second run's last file").isZero();
        assertThat(third.passCompleted()).isTrue();
    }

    /** A file whose record goes after a pass passed it (the record sweep deletes the record first) is found next pass. */
    @Test
    void startsANewPassFromTheFirstFile_afterAPassReachedTheEnd() {
        ObjectId file = storeFile(ago(Duration.ofHours(3)), "m-later");
        record("m-later", file);
        ObjectId newer = storeFile(ago(Duration.ofHours(2)), "m-newer");
        record("m-newer", newer);
        OrphanFileSweeper sweeper = sweeper(100, 2000);
        assertThat(sweeper.sweep().block(WAIT).passCompleted()).isTrue();
        assertThat(files(file)).isEqualTo(1);

        mongo.remove(query(where("_id").is("m-later")), MediaDocument.COLLECTION).block(WAIT);
        OrphanFileSweeper.Run next = sweeper.sweep().block(WAIT);

        assertThat(next.filesDeleted()).isEqualTo(1);
        assertThat(List.of(files(file), chunks(file), files(newer))).containsExactly(0L, 0L, 1L);
    }

    /**
     * Chunks without a file entry (an upload cut off or crashed before the driver wrote the entry, a delete cut between
     * entry and chunks) before the first file, between files and after the last one, over batches of one file.
     */
    @Test
    void deletesOldChunksWithoutAFileEntry_andKeepsTheChunksOfFiles() {
        ObjectId beforeFirst = insertChunks(ago(Duration.ofHours(4)), 2);
        ObjectId first = storeFile(ago(Duration.ofHours(3)), "m-first");
        record("m-first", first);
        ObjectId between = insertChunks(ago(Duration.ofMinutes(150)), 3);
        ObjectId second = storeFile(ago(Duration.ofHours(2)), "m-second");
        record("m-second", second);
        ObjectId afterLast = insertChunks(ago(Duration.ofMinutes(90)), 1);
        ObjectId young = insertChunks(ago(Duration.ofMinutes(10)), 2);

        OrphanFileSweeper.Run run = sweeper(1, 2000).sweep().block(WAIT);

        assertThat(List.of(chunks(beforeFirst), chunks(between), chunks(afterLast))).containsOnly(0L);
        assertThat(run.chunksDeleted()).isEqualTo(6);
        assertThat(List.of(files(first), chunks(first), files(second), chunks(second))).containsExactly(1L, 3L, 1L, 3L);
        assertThat(chunks(young)).as("younger than the minimum age").isEqualTo(2);
    }

    /** As an upload leaves it when its record is never written: stored by {@link MediaFiles}, id from the driver. */
    @Test
    void deletesAFileStoredByTheUploadPath_onlyOnceItIsOlderThanTheMinimumAge() {
        ObjectId stored = new MediaFiles(gridFs, WAIT, WAIT)
                .store("m-cut-off", Flux.just(DefaultDataBufferFactory.sharedInstance.wrap(CONTENT))).block(WAIT);

        sweeper(100, 2000, Clock.systemUTC()).sweep().block(WAIT);
        assertThat(files(stored)).as("young").isEqualTo(1);
        sweeper(100, 2000, Clock.offset(Clock.systemUTC(), MIN_AGE.plusMinutes(1))).sweep().block(WAIT);

        assertThat(List.of(files(stored), chunks(stored))).containsOnly(0L);
    }
}
