package io.wxim.redis;

import io.lettuce.core.ClientOptions;
import org.springframework.data.redis.connection.lettuce.LettuceClientConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * A connection factory for pub/sub listeners: the service's Redis settings and client options, except two that
 * listeners need otherwise, whatever the service's options say:
 * <ul>
 * <li>results signalled where Lettuce reads them ({@code publishOnScheduler} off): Spring Data records a channel as
 * subscribed when the SUBSCRIBE's answer is signalled, while messages are always emitted on Lettuce's event loop;
 * signalled on another thread, the answer could come after the channel's first messages, which the listener would
 * then drop;</li>
 * <li>commands wait for the reconnect while the connection is down (Lettuce's default), not rejected: Lettuce forgets
 * a channel only when Redis confirms its UNSUBSCRIBE and subscribes every channel it still lists again on reconnect,
 * so an UNSUBSCRIBE rejected during an outage would leave the channel (and Spring's listener) subscribed for good.
 * The writer-lock deadlock that rejecting avoids for the services' commands ({@link RedisClientAutoConfiguration})
 * needs a failure handler that writes again to the same connection from another thread than its event loop: the
 * gateway's SUBSCRIBEs are issued on this connection's own event loop (they follow node messages), and a failed
 * UNSUBSCRIBE writes nothing more (Spring Data's cancel stops at the error).</li>
 * </ul>
 *
 * <p>The factory shares no native connection: a listener container asks for a reactive connection when it is built,
 * which would otherwise open a shared command connection that pub/sub never uses (subscriptions go over the
 * container's own pub/sub connection), at start-up, even in an image's AOT training run that has no Redis.
 */
public final class PubSubConnections {
    private PubSubConnections() {
    }

    /** A new, started factory with {@code base}'s server and client settings for pub/sub; destroy it after use. */
    public static LettuceConnectionFactory factoryLike(LettuceConnectionFactory base) {
        LettuceClientConfiguration.LettuceClientConfigurationBuilder builder = LettuceClientConfiguration.builder();
        LettuceClientConfiguration config = base.getClientConfiguration();
        if (config.isUseSsl()) {
            var ssl = builder.useSsl().verifyPeer(config.getVerifyMode());
            if (config.isStartTls()) {
                ssl.startTls();
            }
            builder = ssl.and();
        }
        config.getClientResources().ifPresent(builder::clientResources);
        config.getClientName().ifPresent(builder::clientName);
        config.getReadFrom().ifPresent(builder::readFrom);
        config.getRedisCredentialsProviderFactory().ifPresent(builder::redisCredentialsProviderFactory);
        ClientOptions options = config.getClientOptions().orElseGet(() -> ClientOptions.builder().build());
        LettuceClientConfiguration pubSub = builder
                .clientOptions(options.mutate().publishOnScheduler(false)
                        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.DEFAULT).build())
                .commandTimeout(config.getCommandTimeout())
                .shutdownTimeout(config.getShutdownTimeout())
                .shutdownQuietPeriod(config.getShutdownQuietPeriod())
                .build();
        LettuceConnectionFactory factory;
        if (base.getClusterConfiguration() != null) {
            factory = new LettuceConnectionFactory(base.getClusterConfiguration(), pubSub);
        } else if (base.getSentinelConfiguration() != null) {
            factory = new LettuceConnectionFactory(base.getSentinelConfiguration(), pubSub);
        } else {
            factory = new LettuceConnectionFactory(base.getStandaloneConfiguration(), pubSub);
        }
        factory.setShareNativeConnection(false);
        factory.afterPropertiesSet();
        factory.start();
        return factory;
    }
}
