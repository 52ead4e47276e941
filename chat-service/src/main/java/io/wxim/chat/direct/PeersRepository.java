package io.wxim.chat.direct;

import io.wxim.chat.config.ChatProperties;
import java.time.Duration;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.query.Criteria;
import org.springframework.data.mongodb.core.query.Query;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * {@link Peers} documents with an in-memory LRU cache: they never change, so a cached entry is always right, and
 * delivering a direct message costs no Mongo read once its conversation is known.
 */
@Repository
public class PeersRepository {
    private static final int CACHE_SIZE = 50_000;

    private final ReactiveMongoTemplate mongo;
    private final Duration timeout;
    private final Map<String, Peers> cache = Collections.synchronizedMap(new LinkedHashMap<>(1024, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Peers> eldest) {
            return size() > CACHE_SIZE;
        }
    });

    public PeersRepository(ReactiveMongoTemplate mongo, ChatProperties props) {
        this.mongo = mongo;
        this.timeout = props.mongoTimeout();
    }

    /** Inserts unless it exists (idempotent). */
    public Mono<Peers> ensure(Peers peers) {
        Peers cached = cache.get(peers.conv());
        if (cached != null) {
            return Mono.just(cached);
        }
        return mongo.insert(peers).timeout(timeout)
                .onErrorResume(DuplicateKeyException.class, e -> Mono.just(peers))
                .doOnNext(p -> cache.put(p.conv(), p));
    }

    public Mono<Peers> find(String conv) {
        Peers cached = cache.get(conv);
        if (cached != null) {
            return Mono.just(cached);
        }
        return mongo.findById(conv, Peers.class).timeout(timeout).doOnNext(p -> cache.put(p.conv(), p));
    }

    public Flux<Peers> findAll(Collection<String> convs) {
        if (convs.isEmpty()) {
            return Flux.empty();
        }
        return mongo.find(Query.query(Criteria.where("_id").in(convs)), Peers.class).timeout(timeout)
                .doOnNext(p -> cache.put(p.conv(), p));
    }
}
