package io.wxim.history.media;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * Image and audio uploads ({@code im.history.media.*}).
 *
 * @param maxImageSize          largest image upload; refused (413) while streaming, never buffered beyond it
 * @param maxAudioSize          largest audio upload. 10 minutes of the recorder's AAC at 48 kbit/s is about 3.6 MB
 * @param maxImagePixels        width x height above which an image is refused before it is decoded (decompression bombs)
 * @param thumbnailEdge         longer edge of the JPEG thumbnail made for every image
 * @param urlTtl                how long a signed URL works (links are reused within a fifth of it, so caches hit)
 * @param urlKey                HMAC key of signed URLs: base64 of at least 32 random bytes, the same on every
 *                              history-service instance (env {@code IM_MEDIA_URL_KEY}). Unset: a random key per start
 *                              (logged as a WARN): URLs then die with the process and do not work across replicas
 * @param orphanTtl             an upload never sent in a message is deleted after this long
 * @param sweepInterval         how often orphans are looked for
 * @param maxConcurrentUploads  uploads processed at once by this instance; beyond, 503 with Retry-After
 * @param uploadTimeout         bound on receiving and storing one upload
 * @param downloadIdleTimeout   a download whose bytes stop coming from MongoDB for this long is aborted (the
 *                              server writes ahead of the client, so a slow client does not start it)
 * @param fileSweep             the sweep of GridFS files and chunks that no media record names ({@link FileSweep})
 */
@Validated
@ConfigurationProperties("im.history.media")
public record MediaProperties(
        @DefaultValue("10MB") DataSize maxImageSize,
        @DefaultValue("10MB") DataSize maxAudioSize,
        @Min(1) @DefaultValue("40000000") long maxImagePixels,
        @Min(16) @DefaultValue("320") int thumbnailEdge,
        @DefaultValue("1h") Duration urlTtl,
        String urlKey,
        @DefaultValue("24h") Duration orphanTtl,
        @DefaultValue("10m") Duration sweepInterval,
        @Min(1) @DefaultValue("8") int maxConcurrentUploads,
        @DefaultValue("120s") Duration uploadTimeout,
        @DefaultValue("30s") Duration downloadIdleTimeout,
        @Valid @DefaultValue FileSweep fileSweep) {

    /** How much longer than {@code uploadTimeout} the file sweep's {@code minAge} must at least be. */
    static final Duration MIN_AGE_MARGIN = Duration.ofMinutes(1);

    public MediaProperties {
        urlKey = urlKey == null || urlKey.isBlank() ? null : urlKey.strip();
        if (fileSweep.minAge().compareTo(uploadTimeout.plus(MIN_AGE_MARGIN)) < 0) {
            throw new IllegalArgumentException("im.history.media.file-sweep.min-age (" + fileSweep.minAge()
                    + ") must be at least upload-timeout (" + uploadTimeout + ") plus " + MIN_AGE_MARGIN
                    + ": a younger file may belong to an upload whose record is still being written");
        }
    }

    /**
     * The file-driven sweep ({@code im.history.media.file-sweep.*}): GridFS files, and chunks, that no media record
     * names (an upload cut off or crashed between its bytes and its record, a record deleted before its bytes).
     *
     * @param minAge     entries whose upload started less than this long ago are never touched (the time in their
     *                   ObjectId, taken as the upload started): their upload may still be running or writing its
     *                   record. At least {@code upload-timeout} plus one minute; 1h is far above the 120s default,
     *                   which also covers clocks that differ between instances
     * @param interval   how often a run starts
     * @param batchSize  GridFS files read by one query, and media records looked up by one query; bounds memory per step
     * @param maxPerRun  files examined by one run at most; the next run goes on after the last one examined, so a large
     *                   store is covered over several runs instead of being read at once
     * @param runTimeout bound on one run; a run cut off keeps what its finished batches did and where they got to
     * @param lease      how long a run holds the sweep (one run at a time across instances) after its claim and after
     *                   each batch it finishes: a healthy batch takes well under a second, so 1m spares slow ones and
     *                   clocks that differ by seconds, and an instance that dies mid-run holds up the sweep at most
     *                   this long. A batch slower than this may be taken over; its run then stops at its next write
     */
    public record FileSweep(
            @DefaultValue("1h") Duration minAge,
            @DefaultValue("10m") Duration interval,
            @Min(1) @Max(1000) @DefaultValue("100") int batchSize,
            @Min(1) @DefaultValue("2000") int maxPerRun,
            @DefaultValue("5m") Duration runTimeout,
            @DefaultValue("1m") Duration lease) {

        public FileSweep {
            if (lease.isNegative() || lease.isZero()) {
                throw new IllegalArgumentException("im.history.media.file-sweep.lease must be positive, was " + lease);
            }
        }
    }

    long maxSize(MediaKind kind) {
        return (kind == MediaKind.IMAGE ? maxImageSize : maxAudioSize).toBytes();
    }

    long maxAnySize() {
        return Math.max(maxImageSize.toBytes(), maxAudioSize.toBytes());
    }

    @Override
    public String toString() {
        return "MediaProperties[maxImageSize=" + maxImageSize + ", maxAudioSize=" + maxAudioSize + ", maxImagePixels="
                + maxImagePixels + ", thumbnailEdge=" + thumbnailEdge + ", urlTtl=" + urlTtl + ", urlKey="
                + (urlKey == null ? "unset" : "<redacted>") + ", orphanTtl=" + orphanTtl + ", sweepInterval="
                + sweepInterval + ", maxConcurrentUploads=" + maxConcurrentUploads + ", uploadTimeout=" + uploadTimeout
                + ", downloadIdleTimeout=" + downloadIdleTimeout + ", fileSweep=" + fileSweep + "]";
    }
}
