package io.wxim.history.message;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;

/**
 * Creates the unique indexes as soon as the application is up. This is a one-shot, documented subscribe with an
 * error handler: writes wait for the indexes anyway ({@link MessageRepository#ensureIndexes()}), and a failure here
 * is retried by the next write or readiness check.
 */
public class MessageIndexInitializer {
    private static final Logger log = LoggerFactory.getLogger(MessageIndexInitializer.class);
    private final MessageRepository repository;

    public MessageIndexInitializer(MessageRepository repository) {
        this.repository = repository;
    }

    @EventListener(ApplicationReadyEvent.class)
    public void createIndexes() {
        repository.ensureIndexes().subscribe(
                unused -> { },
                error -> log.warn("message indexes not created yet, will retry on first use: {}", error.toString()),
                () -> log.info("message indexes ready collection={}", MessageRepository.COLLECTION));
        repository.ensureMediaIndex().subscribe(
                unused -> { },
                error -> log.warn("media index of messages not created (recalls of pictures read without it): {}",
                        error.toString()),
                () -> log.info("media index of messages ready collection={}", MessageRepository.COLLECTION));
    }
}
