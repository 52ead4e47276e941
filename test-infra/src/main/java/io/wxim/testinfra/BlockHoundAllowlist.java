package io.wxim.testinfra;

import java.time.Duration;
import reactor.blockhound.BlockHound;
import reactor.blockhound.BlockingOperationError;
import reactor.blockhound.integration.BlockHoundIntegration;
import reactor.core.Exceptions;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The one list of blocking calls tolerated on event loops in tests, each with its reason. Loaded by BlockHound
 * (ServiceLoader) in every module whose tests have blockhound-junit-platform; everything else blocking on an event
 * loop fails the test.
 */
public final class BlockHoundAllowlist implements BlockHoundIntegration {

    /** Canary for a module's tests: fails unless BlockHound is active in this JVM (a sleep on a parallel thread must fail). */
    public static void assertActive() {
        Mono<Void> blocking = Mono.<Void>fromRunnable(() -> {
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }).subscribeOn(Schedulers.parallel());
        try {
            blocking.block(Duration.ofSeconds(5));
        } catch (BlockingOperationError expected) {
            return;
        } catch (RuntimeException e) {
            if (Exceptions.unwrap(e) instanceof BlockingOperationError || e.getCause() instanceof BlockingOperationError) {
                return;
            }
            throw e;
        }
        throw new AssertionError("BlockHound is not active: add blockhound-junit-platform to this module's tests");
    }

    @Override
    public void applyTo(BlockHound.Builder builder) {
        // SecureRandom on Linux reads /dev/urandom, which never blocks (RSA signing and random ids use it).
        builder.allowBlockingCallsInside("sun.security.provider.NativePRNG$RandomIO", "implNextBytes");
        builder.allowBlockingCallsInside("sun.security.provider.NativePRNG$RandomIO", "ensureBufferValid");
        builder.allowBlockingCallsInside("java.security.SecureRandom", "nextBytes");
        // Jackson builds a (de)serializer once per type under a short lock; later uses read the cache lock-free.
        builder.allowBlockingCallsInside("tools.jackson.databind.deser.DeserializerCache", "_createAndCacheValueDeserializer");
        builder.allowBlockingCallsInside("tools.jackson.databind.ser.SerializerCache", "addAndResolveNonTypedSerializer");
        // The MongoDB reactive driver guards its connection pool with short internal locks (released in microseconds).
        builder.allowBlockingCallsInside("com.mongodb.internal.Locks", "checkedWithLock");
        builder.allowBlockingCallsInside("com.mongodb.internal.Locks", "withInterruptibleLock");
        // Spring Data's mapping context takes a short read/write lock when it meets a type the first time (concurrent
        // first inserts of a type, e.g. a batch of stores right after start); later lookups hit its cache.
        builder.allowBlockingCallsInside("org.springframework.data.mapping.context.AbstractMappingContext", "getPersistentEntity");
        // Spring Data Redis takes a lock around reading its shared Lettuce connection on every operation of a reactive
        // template (LettuceConnectionFactory.doInLock): two event loops using Redis at the same moment contend for it
        // for microseconds (the connection itself is made at start-up). A BlockingOperationError thrown from inside
        // that lock broke it for every later operation (seen once in CI: RefreshRetryIntegrationTests' concurrent retries).
        // It is taken twice per operation: around reading the shared connection, and around finding it in the factory.
        builder.allowBlockingCallsInside("org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory$SharedConnection",
                "getConnection");
        builder.allowBlockingCallsInside("org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory",
                "getOrCreateSharedReactiveConnection");
        // Lettuce guards each command's write to a connection with a short lock (SharedLock: a writer count, held
        // exclusively only while the channel comes and goes); two event loops writing to one shared connection at the
        // same moment contend for it for microseconds. Thrown from inside, it broke the connection for every later
        // command (seen in RefreshRetryIntegrationTests' concurrent retries, traced 2026-12-06).
        builder.allowBlockingCallsInside("io.lettuce.core.protocol.SharedLock", "incrementWriters");
        builder.allowBlockingCallsInside("io.lettuce.core.protocol.SharedLock", "decrementWriters");
        builder.allowBlockingCallsInside("io.lettuce.core.protocol.SharedLock", "doExclusive");
        // A script's SHA1 is computed once, under a lock: two threads running the same script for the first time at the
        // same moment contend for it (traced in the concurrent-retries test, 2026-12-06).
        builder.allowBlockingCallsInside("org.springframework.data.redis.core.script.DefaultRedisScript", "getSha1");
        // Hibernate Validator reads its message bundle from the jar on the first violation, then caches it.
        builder.allowBlockingCallsInside("org.hibernate.validator.resourceloading.PlatformResourceBundleLocator", "loadBundle");
        // Netty 4.2's adaptive buffer allocator takes a short StampedLock when it grows or frees a magazine (large
        // bodies such as media uploads); the lock is internal to the allocator and held for microseconds.
        builder.allowBlockingCallsInside("io.netty.buffer.AdaptivePoolingAllocator$MagazineGroup", "tryExpandMagazines");
        builder.allowBlockingCallsInside("io.netty.buffer.AdaptivePoolingAllocator$Magazine", "free");
        // The embedded MongoDB-compatible server is test infrastructure with its own Netty threads and blocking
        // H2 storage; it stands in for a separate mongod process.
        builder.allowBlockingCallsInside("de.bwaldvogel.mongo.wire.MongoWireProtocolHandler", "channelRead");
        builder.allowBlockingCallsInside("de.bwaldvogel.mongo.wire.MongoDatabaseHandler", "channelRead0");
    }
}
