package io.wxim.gateway.delivery;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * Readiness of the gateway's pub/sub subscription as "nodeChannel": UP while the listener of this node's channel
 * (replies and subscription changes from chat-service) runs. If it has stopped, no command of a new connection could
 * be answered, so the gateway must not get traffic.
 */
@Component("nodeChannel")
class NodeChannelHealthIndicator implements HealthIndicator {
    private final NodeListener listener;

    NodeChannelHealthIndicator(NodeListener listener) {
        this.listener = listener;
    }

    @Override
    public Health health() {
        return listener.isRunning() ? Health.up().build() : Health.down().withDetail("reason", "node channel listener stopped").build();
    }
}
