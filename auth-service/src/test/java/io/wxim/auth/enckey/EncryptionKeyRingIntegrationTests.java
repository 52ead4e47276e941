package io.wxim.auth.enckey;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.reactivestreams.client.MongoClient;
import com.mongodb.reactivestreams.client.MongoClients;
import io.wxim.auth.config.AtRestCipher;
import io.wxim.protocol.crypto.KeyWrap;
import io.wxim.testinfra.TestInfra;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import reactor.core.publisher.Mono;

/** Rotation against a real MongoDB, with two auth-service instances (two rings on one store) and a controlled clock. */
@Timeout(60)
class EncryptionKeyRingIntegrationTests {
    private static final Duration PERIOD = Duration.ofHours(24);
    private static final Duration OVERLAP = Duration.ofHours(2);
    private static final Duration LEAD = Duration.ofMinutes(10);
    private static final Duration WAIT = Duration.ofSeconds(20);

    private final SecureRandom random = new SecureRandom();
    private final MongoClient client = MongoClients.create(TestInfra.mongoUri());
    private final ReactiveMongoTemplate mongo = new ReactiveMongoTemplate(client,
            "im_auth_keys_" + UUID.randomUUID().toString().substring(0, 8));
    private final byte[] kek = randomBytes(32);
    private final TestClock clock = new TestClock(Instant.parse("2026-12-03T00:00:00Z"));

    @AfterEach
    void dropDatabase() {
        mongo.getMongoDatabase().flatMap(db -> Mono.from(db.drop())).block(WAIT);
        client.close();
    }

    @Test
    void createsOneKeyPerGeneration_publishesTheSuccessorOnlyWhenActive_andRetiresAfterTheOverlap() {
        EncryptionKeyRing first = ring(kek);
        EncryptionKeyRing second = ring(kek);

        first.refresh().block(WAIT);
        second.refresh().block(WAIT);
        assertThat(generations(first.keys())).containsExactly(1L);
        assertThat(second.published()).singleElement().satisfies(k -> assertThat(k.kid()).isEqualTo(first.published().get(0).kid()));
        String kid1 = first.published().get(0).kid();

        // Due: both instances rotate at the same moment; the generation id lets exactly one key be created.
        clock.advance(PERIOD.minus(LEAD));
        Mono.when(first.refresh(), second.refresh()).block(WAIT);
        first.refresh().block(WAIT);
        second.refresh().block(WAIT);
        assertThat(generations(first.keys())).containsExactly(1L, 2L);
        assertThat(generations(second.keys())).containsExactly(1L, 2L);
        assertThat(first.keys().get(1).kid()).isEqualTo(second.keys().get(1).kid());
        // Gateways already get generation 2; clients still only see generation 1.
        assertThat(first.published()).extracting(EncryptionKey::kid).containsExactly(kid1);

        clock.advance(LEAD);
        String kid2 = first.keys().get(1).kid();
        assertThat(first.published()).extracting(EncryptionKey::kid).containsExactly(kid2, kid1);
        assertThat(first.published().get(1).retiresAt()).isEqualTo(clock.instant().plus(OVERLAP));

        clock.advance(OVERLAP);
        first.refresh().block(WAIT);
        assertThat(first.published()).extracting(EncryptionKey::kid).containsExactly(kid2);
        assertThat(mongo.count(new org.springframework.data.mongodb.core.query.Query(), EncryptionKeyDocument.COLLECTION)
                .block(WAIT)).isEqualTo(1);
    }

    @Test
    void storesPrivateKeysSealed_andTheyWorkForKeyWrap() {
        EncryptionKeyRing ring = ring(kek);
        ring.refresh().block(WAIT);
        EncryptionKey key = ring.published().get(0);

        EncryptionKeyDocument stored = mongo.findAll(EncryptionKeyDocument.class, EncryptionKeyDocument.COLLECTION)
                .blockFirst(WAIT);
        String pkcs8 = java.util.Base64.getEncoder().encodeToString(key.privateKey().getEncoded());
        assertThat(stored.sealedPrivateKey()).doesNotContain(pkcs8.substring(40, 80));
        assertThat(key.publicKey().getModulus().bitLength()).isEqualTo(2048);

        byte[] session = randomBytes(32);
        assertThat(new KeyWrap(key.privateKey()).unwrap(KeyWrap.wrap(key.publicKey(), session))).isEqualTo(session);
    }

    @Test
    void ignoresKeysSealedUnderAnotherKeyEncryptionKey_andCreatesAUsableOneAtOnce() {
        ring(kek).refresh().block(WAIT);

        EncryptionKeyRing other = ring(randomBytes(32));
        other.refresh().block(WAIT);

        assertThat(generations(other.keys())).containsExactly(2L);
        assertThat(other.published()).hasSize(1);
    }

    private EncryptionKeyRing ring(byte[] keyEncryptionKey) {
        AtRestCipher cipher = new AtRestCipher(new SecretKeySpec(keyEncryptionKey, "AES"), random);
        EncryptionKeyStore store = new EncryptionKeyStore(mongo, cipher, random, 2048, Duration.ofSeconds(5));
        return new EncryptionKeyRing(store, new KeySchedule(PERIOD, OVERLAP, LEAD), clock, Duration.ofMinutes(1));
    }

    private static List<Long> generations(List<EncryptionKey> keys) {
        return keys.stream().map(EncryptionKey::generation).toList();
    }

    private byte[] randomBytes(int n) {
        byte[] bytes = new byte[n];
        random.nextBytes(bytes);
        return bytes;
    }

    private static final class TestClock extends Clock {
        private final AtomicReference<Instant> now;

        TestClock(Instant start) {
            now = new AtomicReference<>(start);
        }

        void advance(Duration d) {
            now.updateAndGet(t -> t.plus(d));
        }

        @Override
        public Instant instant() {
            return now.get();
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }
}
