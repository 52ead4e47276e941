package io.wxim.testinfra;

import reactor.blockhound.BlockHound;
import reactor.blockhound.integration.BlockHoundIntegration;

/**
 * The one list of blocking calls tolerated on event loops in tests, each with its reason. Loaded by BlockHound
 * (ServiceLoader) in every module whose tests have blockhound-junit-platform; everything else blocking on an event
 * loop fails the test.
 */
public final class BlockHoundAllowlist implements BlockHoundIntegration {
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
        // Hibernate Validator reads its message bundle from the jar on the first violation, then caches it.
        builder.allowBlockingCallsInside("org.hibernate.validator.resourceloading.PlatformResourceBundleLocator", "loadBundle");
        // The embedded MongoDB-compatible server is test infrastructure with its own Netty threads and blocking
        // H2 storage; it stands in for a separate mongod process.
        builder.allowBlockingCallsInside("de.bwaldvogel.mongo.wire.MongoWireProtocolHandler", "channelRead");
        builder.allowBlockingCallsInside("de.bwaldvogel.mongo.wire.MongoDatabaseHandler", "channelRead0");
    }
}
