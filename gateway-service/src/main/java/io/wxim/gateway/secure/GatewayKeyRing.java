package io.wxim.gateway.secure;

import io.wxim.protocol.crypto.KeyWrap;
import io.wxim.support.PeriodicTask;
import java.net.URI;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.interfaces.RSAPrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Mono;

/**
 * The private encryption keys this gateway accepts, fetched from auth-service over the authenticated internal path
 * every {@code refreshInterval} and, when a client names a key id this gateway does not know, at once (at most every
 * {@code minRefetch}, one fetch at a time). A key past its retirement time is refused even before the next fetch.
 * A failed fetch keeps the previous set.
 */
public final class GatewayKeyRing extends PeriodicTask {
    private static final Logger log = LoggerFactory.getLogger(GatewayKeyRing.class);

    /** One fetched key: its unwrapper and when it stops being accepted (null: not scheduled yet). */
    private record Entry(KeyWrap wrap, Instant retiresAt) {
    }

    /** auth-service's answer. */
    record KeysResponse(List<KeyEntry> keys) {
    }

    record KeyEntry(String kid, String privateKey, Long activatesAt, Long retiresAt) {
        @Override
        public String toString() {
            return "KeyEntry[kid=" + kid + "]"; // never the private key
        }
    }

    private final WebClient client;
    private final URI uri;
    private final String token;
    private final Duration minRefetch;
    private final Duration timeout;
    private final Clock clock;
    private volatile Map<String, Entry> keys = Map.of();
    /** Guarded by this: the on-demand fetch in flight, and when the last one started. */
    private Mono<Void> inflight;
    private long lastOnDemandNanos = Long.MIN_VALUE / 2;

    public GatewayKeyRing(WebClient client, URI uri, String token, Duration refreshInterval, Duration minRefetch,
                          Duration timeout, Clock clock) {
        super("encryption key refresh", Duration.ZERO, refreshInterval);
        this.client = client;
        this.uri = uri;
        this.token = token;
        this.minRefetch = minRefetch;
        this.timeout = timeout;
        this.clock = clock;
    }

    /** The unwrapper of a usable key; empty if the id is unknown (after one on-demand fetch) or the key is retired. */
    public Mono<KeyWrap> find(String kid) {
        KeyWrap known = usable(kid);
        if (known != null) {
            return Mono.just(known);
        }
        return fetchOnDemand().then(Mono.fromSupplier(() -> usable(kid)));
    }

    private KeyWrap usable(String kid) {
        Entry entry = keys.get(kid);
        if (entry == null || (entry.retiresAt() != null && !clock.instant().isBefore(entry.retiresAt()))) {
            return null;
        }
        return entry.wrap();
    }

    private Mono<Void> fetchOnDemand() {
        synchronized (this) {
            if (inflight != null) {
                return inflight;
            }
            long now = System.nanoTime();
            if (now - lastOnDemandNanos < minRefetch.toNanos()) {
                return Mono.empty();
            }
            lastOnDemandNanos = now;
            Mono<Void> fetch = fetch()
                    .onErrorResume(e -> Mono.empty())
                    .doFinally(s -> {
                        synchronized (this) {
                            inflight = null;
                        }
                    })
                    .cache();
            inflight = fetch;
            return fetch;
        }
    }

    /** Fetches and installs the key set; fails (keeping the current set) if auth-service cannot be reached or refuses. */
    Mono<Void> fetch() {
        return client.get().uri(uri)
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + token)
                .retrieve()
                .bodyToMono(KeysResponse.class)
                .timeout(timeout)
                .doOnNext(this::install)
                .doOnError(e -> log.warn("encryption keys not fetched: uri={} error={}", uri, e.toString()))
                .then();
    }

    private void install(KeysResponse response) {
        Map<String, Entry> fresh = new HashMap<>();
        for (KeyEntry entry : response.keys() == null ? List.<KeyEntry>of() : response.keys()) {
            try {
                RSAPrivateKey key = (RSAPrivateKey) KeyFactory.getInstance("RSA")
                        .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(entry.privateKey())));
                fresh.put(entry.kid(), new Entry(new KeyWrap(key),
                        entry.retiresAt() == null ? null : Instant.ofEpochMilli(entry.retiresAt())));
            } catch (GeneralSecurityException | RuntimeException e) {
                log.warn("encryption key skipped: kid={} error={}", entry.kid(), e.getClass().getSimpleName());
            }
        }
        if (!fresh.keySet().equals(keys.keySet())) {
            log.info("encryption keys installed: kids={}", fresh.keySet());
        }
        keys = Map.copyOf(fresh);
    }

    /** The periodic refresh (the first at start); {@link #fetch()} logs its own failures. */
    @Override
    protected Mono<Void> runOnce() {
        return fetch().onErrorResume(e -> Mono.empty());
    }
}
