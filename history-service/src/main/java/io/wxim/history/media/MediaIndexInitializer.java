package io.wxim.history.media;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;

/**
 * Creates the media collection's indexes once the application is up (the orphan sweep's queries use them; nothing
 * waits for them: without them those queries scan).
 */
class MediaIndexInitializer {
    private static final Logger log = LoggerFactory.getLogger(MediaIndexInitializer.class);
    private final MediaRepository repository;

    MediaIndexInitializer(MediaRepository repository) {
        this.repository = repository;
    }

    @EventListener(ApplicationReadyEvent.class)
    void createIndexes() {
        repository.ensureIndexes().subscribe(
                unused -> { },
                error -> log.warn("media indexes not created (the orphan sweep scans without them): {}", error.toString()),
                () -> log.info("media indexes ready collection={}", MediaDocument.COLLECTION));
    }
}
