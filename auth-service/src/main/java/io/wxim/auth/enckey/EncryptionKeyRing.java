package io.wxim.auth.enckey;

import java.security.KeyPair;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * This instance's view of the key set, refreshed from MongoDB every {@code checkInterval}. Each refresh first creates
 * the next generation if the {@link KeySchedule} says it is due (any instance may; the generation id makes it happen
 * once) and deletes retired keys. Readers get an immutable snapshot.
 *
 * <p>A key that does not open (sealed under another key-encryption key, or altered) is ignored and reported once at
 * ERROR. The schedule counts only keys that open, so after a change of the key-encryption key a new key is created at
 * once instead of leaving the service without a usable key until the next rotation.
 */
class EncryptionKeyRing implements SmartLifecycle {
    private static final Logger log = LoggerFactory.getLogger(EncryptionKeyRing.class);

    private final EncryptionKeyStore store;
    private final KeySchedule schedule;
    private final Clock clock;
    private final Duration checkInterval;
    /** Generations already reported as unopenable: the error is logged once per key, not every check. */
    private final Set<Long> reportedUnopenable = ConcurrentHashMap.newKeySet();
    private volatile List<EncryptionKey> keys = List.of();
    private volatile Disposable task;

    EncryptionKeyRing(EncryptionKeyStore store, KeySchedule schedule, Clock clock, Duration checkInterval) {
        this.store = store;
        this.schedule = schedule;
        this.clock = clock;
        this.checkInterval = checkInterval;
    }

    /** Opened keys not yet retired (previous ones in their overlap, the current one, the next one), oldest first. */
    List<EncryptionKey> keys() {
        Instant now = clock.instant();
        return keys.stream().filter(k -> !k.slot().retired(now)).toList();
    }

    /** The keys clients may use now, newest (the current one) first. */
    List<EncryptionKey> published() {
        Instant now = clock.instant();
        return keys.stream().filter(k -> k.slot().published(now))
                .sorted(Comparator.comparingLong(EncryptionKey::generation).reversed()).toList();
    }

    /** Rotates if due, deletes retired keys and installs the fresh snapshot. */
    Mono<Void> refresh() {
        return store.findAll().collectList()
                .flatMap(docs -> {
                    Instant now = clock.instant();
                    Map<Long, KeyPair> opened = open(docs);
                    Instant latestUsable = docs.stream().filter(d -> opened.containsKey(d.generation()))
                            .map(EncryptionKeyDocument::activatesAt).max(Comparator.naturalOrder()).orElse(null);
                    long nextGeneration = docs.stream().mapToLong(EncryptionKeyDocument::generation).max().orElse(0) + 1;
                    Optional<Instant> next = schedule.nextActivation(latestUsable, now);
                    if (next.isEmpty()) {
                        return Mono.just(docs);
                    }
                    return store.create(nextGeneration, next.get(), now)
                            .doOnNext(created -> {
                                if (created) {
                                    log.info("encryption key created: generation={} activatesAt={}", nextGeneration, next.get());
                                }
                            })
                            .then(store.findAll().collectList());
                })
                .flatMap(docs -> deleteRetired(docs).thenReturn(docs))
                .doOnNext(this::install)
                .then();
    }

    private Map<Long, KeyPair> open(List<EncryptionKeyDocument> docs) {
        Map<Long, KeyPair> opened = new java.util.HashMap<>();
        for (EncryptionKeyDocument doc : docs) {
            Optional<KeyPair> pair = store.open(doc);
            if (pair.isPresent()) {
                opened.put(doc.generation(), pair.get());
            } else if (reportedUnopenable.add(doc.generation())) {
                log.error("encryption key does not open, ignored: generation={} kid={} (sealed under another "
                        + "key-encryption key, or altered; every auth-service instance needs the same key)",
                        doc.generation(), doc.kid());
            }
        }
        return opened;
    }

    /** Deletes stored keys past retirement (counting every stored generation, opened or not). */
    private Mono<Void> deleteRetired(List<EncryptionKeyDocument> docs) {
        Instant now = clock.instant();
        return Flux.fromIterable(schedule.slots(docs.stream().map(EncryptionKeyRing::slotOf).toList()))
                .filter(slot -> slot.retired(now))
                .concatMap(slot -> store.delete(slot.generation())
                        .doOnSuccess(v -> log.info("encryption key retired: generation={}", slot.generation())))
                .then();
    }

    private void install(List<EncryptionKeyDocument> docs) {
        Map<Long, KeyPair> opened = open(docs);
        Map<Long, EncryptionKeyDocument> byGeneration = docs.stream()
                .filter(d -> opened.containsKey(d.generation()))
                .collect(Collectors.toMap(EncryptionKeyDocument::generation, Function.identity()));
        keys = schedule.slots(byGeneration.values().stream().map(EncryptionKeyRing::slotOf).toList()).stream()
                .map(slot -> {
                    EncryptionKeyDocument doc = byGeneration.get(slot.generation());
                    KeyPair pair = opened.get(slot.generation());
                    return new EncryptionKey(slot.generation(), doc.kid(), (RSAPublicKey) pair.getPublic(),
                            (RSAPrivateKey) pair.getPrivate(), slot.activatesAt(), slot.retiresAt());
                })
                .toList();
    }

    private static KeySchedule.Slot slotOf(EncryptionKeyDocument doc) {
        return new KeySchedule.Slot(doc.generation(), doc.activatesAt(), null);
    }

    /** Refreshes now and then every check interval; a failed refresh keeps the last snapshot and is retried. */
    @Override
    public void start() {
        task = Flux.interval(Duration.ZERO, checkInterval)
                .onBackpressureDrop()
                .concatMap(tick -> refresh().onErrorResume(e -> {
                    log.warn("encryption keys not refreshed: error={}", e.toString());
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
