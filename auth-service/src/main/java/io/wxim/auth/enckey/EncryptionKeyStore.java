package io.wxim.auth.enckey;

import static org.springframework.data.mongodb.core.query.Criteria.where;
import static org.springframework.data.mongodb.core.query.Query.query;

import io.wxim.auth.config.AtRestCipher;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Key pairs in MongoDB: generates them (off the event loop: an RSA key takes tens to hundreds of milliseconds),
 * seals private keys with the key-encryption key and opens them again. Every Mongo call is bounded in time.
 */
class EncryptionKeyStore {
    private final ReactiveMongoTemplate mongo;
    private final AtRestCipher cipher;
    private final SecureRandom random;
    private final int rsaBits;
    private final Duration timeout;

    EncryptionKeyStore(ReactiveMongoTemplate mongo, AtRestCipher cipher, SecureRandom random, int rsaBits,
                       Duration timeout) {
        this.mongo = mongo;
        this.cipher = cipher;
        this.random = random;
        this.rsaBits = rsaBits;
        this.timeout = timeout;
    }

    Flux<EncryptionKeyDocument> findAll() {
        return mongo.findAll(EncryptionKeyDocument.class, EncryptionKeyDocument.COLLECTION).timeout(timeout);
    }

    /** Creates generation {@code generation}; false if another instance created it first. */
    Mono<Boolean> create(long generation, Instant activatesAt, Instant now) {
        return Mono.fromCallable(() -> newDocument(generation, activatesAt, now))
                .subscribeOn(Schedulers.boundedElastic())
                .flatMap(doc -> mongo.insert(doc, EncryptionKeyDocument.COLLECTION).timeout(timeout))
                .thenReturn(true)
                .onErrorResume(DuplicateKeyException.class, e -> Mono.just(false));
    }

    Mono<Void> delete(long generation) {
        return mongo.remove(query(where("_id").is(generation)), EncryptionKeyDocument.COLLECTION)
                .timeout(timeout).then();
    }

    /** The key pair of a document, or empty if it does not open (sealed under another key-encryption key, altered). */
    Optional<KeyPair> open(EncryptionKeyDocument doc) {
        byte[] pkcs8 = null;
        try {
            pkcs8 = cipher.open(context(doc.generation(), doc.kid(), doc.publicKey()), doc.sealedPrivateKey());
            KeyFactory rsa = KeyFactory.getInstance("RSA");
            RSAPublicKey pub = (RSAPublicKey) rsa.generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(doc.publicKey())));
            RSAPrivateKey priv = (RSAPrivateKey) rsa.generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
            if (!pub.getModulus().equals(priv.getModulus())) {
                return Optional.empty();
            }
            return Optional.of(new KeyPair(pub, priv));
        } catch (GeneralSecurityException | RuntimeException e) {
            return Optional.empty();
        } finally {
            if (pkcs8 != null) {
                Arrays.fill(pkcs8, (byte) 0);
            }
        }
    }

    private EncryptionKeyDocument newDocument(long generation, Instant activatesAt, Instant now)
            throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(rsaBits, random);
        KeyPair pair = generator.generateKeyPair();
        byte[] kidBytes = new byte[16];
        random.nextBytes(kidBytes);
        String kid = Base64.getUrlEncoder().withoutPadding().encodeToString(kidBytes);
        String publicKey = Base64.getEncoder().encodeToString(pair.getPublic().getEncoded());
        byte[] pkcs8 = pair.getPrivate().getEncoded();
        try {
            String sealed = cipher.seal(context(generation, kid, publicKey), pkcs8);
            return new EncryptionKeyDocument(generation, kid, publicKey, sealed, activatesAt, now);
        } finally {
            Arrays.fill(pkcs8, (byte) 0);
        }
    }

    /** Binds a sealed private key to its document: moved to another generation or paired with another public key, it does not open. */
    private static String context(long generation, String kid, String publicKey) {
        return "encryption-key|" + generation + "|" + kid + "|" + publicKey;
    }
}
