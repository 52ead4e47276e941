package io.wxim.gateway.config;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKMatcher;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.SignedJWT;
import java.text.ParseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.security.oauth2.jwt.BadJwtException;
import org.springframework.security.oauth2.jwt.JwtException;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * auth-service's JWK set for the gateway's token check. Spring's remote key source fetches the set again for every
 * token whose key id it does not hold, so made-up key ids could make the gateway ask auth-service once per request.
 * Here the set is fetched once, then again for an unknown key id at most every {@code minRefetch}, one fetch at a
 * time (tokens that arrive meanwhile wait for it): a key auth-service rotates in is picked up within that interval,
 * and a flood of unknown key ids costs auth-service one request per interval. A token with a key id not held, inside
 * the interval, is "not checked" (503, retry), not invalid: its key may have been rotated in a moment ago. A key id
 * still missing from a set fetched for it is invalid (401). A fetch is bounded by {@code timeout}; a failed one counts
 * as an attempt too. Keys are merged, not replaced: one that a fetch no longer lists is kept for {@link #KEEP} (longer
 * than an access token lives), so a rolling rotation (replicas with the old and the new key answering by turns) does
 * not flip between them; only RS256 tokens are looked up (any other algorithm is invalid at once, as before).
 */
final class JwkSetCache {
    private static final Logger log = LoggerFactory.getLogger(JwkSetCache.class);

    /** How long a key no fetch lists any more is still accepted: past the life of any token it signed. */
    static final Duration KEEP = Duration.ofHours(1);

    private record Held(JWK key, long lastListedNanos) {
    }

    private final WebClient web;
    private final String uri;
    private final Duration timeout;
    private final long minRefetchNanos;
    private final LongSupplier nanoTime;
    private volatile JWKSet fetched;
    /** Guarded by this: every key listed within {@link #KEEP}, by key id, for merging. */
    private final Map<String, Held> held = new LinkedHashMap<>();
    /** Guarded by this: the fetch under way (null if none) and when the last one started. */
    private Mono<JWKSet> inflight;
    private boolean attempted;
    private long lastAttemptNanos;

    JwkSetCache(WebClient web, String uri, Duration timeout, Duration minRefetch, LongSupplier nanoTime) {
        this.web = web;
        this.uri = uri;
        this.timeout = timeout;
        this.minRefetchNanos = minRefetch.toNanos();
        this.nanoTime = nanoTime;
    }

    /** The keys that may have signed {@code jwt} (by its header's key id and algorithm); empty if none. */
    Flux<JWK> keysFor(SignedJWT jwt) {
        if (!JWSAlgorithm.RS256.equals(jwt.getHeader().getAlgorithm())) {
            return Flux.error(new BadJwtException("Unsupported algorithm of " + jwt.getHeader().getAlgorithm()));
        }
        JWKSelector selector = new JWKSelector(JWKMatcher.forJWSHeader(jwt.getHeader()));
        List<JWK> keys = select(selector);
        return keys.isEmpty() ? next(selector).flatMapIterable(selector::select) : Flux.fromIterable(keys);
    }

    private List<JWK> select(JWKSelector selector) {
        JWKSet known = fetched;
        return known == null ? List.of() : selector.select(known);
    }

    /** The fetch under way; else a new one if the last attempt is old enough; else the set held (or "not fetched"). */
    private synchronized Mono<JWKSet> next(JWKSelector selector) {
        if (inflight != null) {
            return inflight;
        }
        JWKSet known = fetched;
        if (known != null && !select(selector).isEmpty()) {
            return Mono.just(known); // a fetch that ended since the caller looked brought the key
        }
        long now = nanoTime.getAsLong();
        if (attempted && now - lastAttemptNanos < minRefetchNanos) {
            // not "invalid": a key auth-service rotated in a moment ago is only seen at the next fetch (retry, 503)
            return Mono.error(new JwtException("key id not among auth-service's keys fetched; they are fetched again "
                    + "at most every " + Duration.ofNanos(minRefetchNanos).toMillis() + " ms, retry shortly"));
        }
        attempted = true;
        lastAttemptNanos = now;
        Mono<JWKSet> fetch = web.get().uri(uri).retrieve().bodyToMono(String.class)
                .timeout(timeout)
                .map(JwkSetCache::parse)
                .map(this::merge)
                .doOnTerminate(this::done) // before any waiting token sees the answer: a token after it may fetch
                .cache();
        inflight = fetch;
        // started here, not by a caller: it completes (and clears inflight) even if every caller gave up meanwhile
        fetch.subscribe(set -> { }, error -> log.warn("JWK set not fetched: uri={} error={}", uri, error.toString()));
        return fetch;
    }

    /** The keys of {@code listed} plus the ones listed before, within {@link #KEEP}; becomes the set held. */
    private synchronized JWKSet merge(JWKSet listed) {
        long now = nanoTime.getAsLong();
        for (JWK key : listed.getKeys()) {
            held.put(key.getKeyID() != null ? key.getKeyID() : key.toPublicJWK().toJSONString(), new Held(key, now));
        }
        held.values().removeIf(h -> now - h.lastListedNanos() > KEEP.toNanos());
        List<JWK> keys = new ArrayList<>();
        held.values().forEach(h -> keys.add(h.key()));
        JWKSet merged = new JWKSet(keys);
        fetched = merged;
        return merged;
    }

    private synchronized void done() {
        inflight = null;
    }

    private static JWKSet parse(String body) {
        try {
            return JWKSet.parse(body);
        } catch (ParseException e) {
            throw new JwtException("auth-service's JWK set does not parse: " + e.getMessage());
        }
    }
}
