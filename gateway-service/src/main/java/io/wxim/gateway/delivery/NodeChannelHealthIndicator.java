package io.wxim.gateway.delivery;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * Readiness of the gateway's pub/sub subscription as "nodeChannel": UP while a stream of the listener of this node's
 * channel (replies and subscription changes from chat-service) listens. While it has none (its stream ended and it is
 * subscribing again), no command of a new connection could
 * be answered, so the gateway must not get traffic. Also DOWN when the listener runs but no probe of
 * {@link PubSubWatch} came back for three probe intervals (subscription lost, or Redis unreachable).
 */
@Component("nodeChannel")
class NodeChannelHealthIndicator implements HealthIndicator {
    private final NodeListener listener;
    private final PubSubWatch watch;

    NodeChannelHealthIndicator(NodeListener listener, PubSubWatch watch) {
        this.listener = listener;
        this.watch = watch;
    }

    @Override
    public Health health() {
        if (!listener.listening()) {
            return Health.down().withDetail("reason", "no stream listens to the node channel (subscribing again)").build();
        }
        return watch.receiving() ? Health.up().build()
                : Health.down().withDetail("reason", "no probe came back through the node channel").build();
    }
}
