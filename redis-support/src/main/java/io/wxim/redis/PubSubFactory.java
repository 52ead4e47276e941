package io.wxim.redis;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * A service's pub/sub listeners' own connection factory ({@link PubSubConnections}: a SUBSCRIBE is recorded before its
 * channel's first message), as a bean of its own type so it is never injected where the service's command factory is
 * meant; destroyed with the context.
 */
public record PubSubFactory(LettuceConnectionFactory factory) implements DisposableBean {
    /** A factory like {@code base} for pub/sub ({@link PubSubConnections#factoryLike}). */
    public static PubSubFactory like(LettuceConnectionFactory base) {
        return new PubSubFactory(PubSubConnections.factoryLike(base));
    }

    @Override
    public void destroy() {
        factory.destroy();
    }
}
