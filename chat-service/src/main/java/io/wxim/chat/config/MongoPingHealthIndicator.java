package io.wxim.chat.config;

import java.time.Duration;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.ReactiveHealthIndicator;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Readiness of MongoDB as "mongoPing": a {@code ping} command answered within 2 s. Used instead of Boot's Mongo health
 * check, whose {@code hello} command the embedded mongo-java-server rejects.
 */
@Component("mongoPing")
class MongoPingHealthIndicator implements ReactiveHealthIndicator {
    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    private final ReactiveMongoTemplate mongo;

    MongoPingHealthIndicator(ReactiveMongoTemplate mongo) {
        this.mongo = mongo;
    }

    @Override
    public Mono<Health> health() {
        return mongo.executeCommand("{ping: 1}")
                .timeout(TIMEOUT)
                .map(answer -> Health.up().build())
                .onErrorResume(e -> Mono.just(Health.down().withDetail("reason", e.getClass().getSimpleName()).build()));
    }
}
