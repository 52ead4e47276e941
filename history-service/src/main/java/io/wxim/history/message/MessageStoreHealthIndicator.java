package io.wxim.history.message;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.ReactiveHealthIndicator;
import reactor.core.publisher.Mono;

/**
 * Readiness of the message store: UP once the unique indexes exist (they guard seq and idempotency, so no write is
 * accepted before). Used instead of Boot's Mongo health check, which mongo-java-server rejects.
 */
public class MessageStoreHealthIndicator implements ReactiveHealthIndicator {
    private final MessageRepository repository;

    public MessageStoreHealthIndicator(MessageRepository repository) {
        this.repository = repository;
    }

    @Override
    public Mono<Health> health() {
        return repository.ensureIndexes()
                .then(Mono.fromSupplier(() -> Health.up().withDetail("collection", MessageRepository.COLLECTION).build()))
                .onErrorResume(e -> Mono.just(Health.down().withDetail("reason", e.getClass().getSimpleName()).build()));
    }
}
