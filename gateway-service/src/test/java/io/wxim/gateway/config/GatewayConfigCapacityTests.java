package io.wxim.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.wxim.gateway.connection.ConnectionRegistry;
import io.wxim.protocol.FrameCodec;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/** The registry bean gets its capacity from {@code im.gateway.ws.max-connections}, or the derived one (no Redis needed). */
@Timeout(10)
class GatewayConfigCapacityTests {

    @Test
    void aConfiguredCap_reachesTheRegistry_andItsGauge() {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        ConnectionRegistry registry = registry(Map.of("im.gateway.ws.max-connections", "3"), meters);
        assertThat(registry.capacity()).isEqualTo(3);
        assertThat(meters.get("im.gateway.connections.capacity").gauge().value()).isEqualTo(3.0);
    }

    @Test
    void unset_theRegistryGetsTheDerivedCap() {
        ConnectionRegistry registry = registry(Map.of(), new SimpleMeterRegistry());
        assertThat(registry.capacity()).isEqualTo(
                ConnectionCapacity.resolve(0, ConnectionCapacity.openFileLimit(), ConnectionCapacity.maxHeap()));
    }

    private static ConnectionRegistry registry(Map<String, String> config, SimpleMeterRegistry meters) {
        Map<String, String> all = new java.util.HashMap<>(config);
        all.put("im.gateway.node-id", "gw");
        GatewayProperties props = new Binder(new MapConfigurationPropertySource(all))
                .bindOrCreate("im.gateway", GatewayProperties.class);
        // the listener container and Redis are only used once a conversation is subscribed: none is here
        return new GatewayConfig().connectionRegistry(null, props, meters, new FrameCodec(), null);
    }
}
