package io.wxim.gateway.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.wxim.protocol.FrameCodec;
import io.wxim.protocol.ServerFrame;
import io.wxim.protocol.UserRef;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class DeliveryLatencyTests {
    private final FrameCodec codec = new FrameCodec();

    @Test
    void readsTheStoredTimeOfEncodedMessageFrames_evenWhenTheBodyQuotesATsField() {
        String frame = codec.encode(new ServerFrame.Message("r:x", 7, "m1", new UserRef("u1", "A", null), "c1", "text",
                "look: \"ts\":1, ok", 1_700_000_000_123L));
        assertThat(DeliveryLatency.storedAt(frame)).isEqualTo(1_700_000_000_123L);
        assertThat(DeliveryLatency.storedAt(codec.encode(new ServerFrame.Pong("r", 5)))).isEqualTo(-1);
        assertThat(DeliveryLatency.storedAt("{\"type\":\"message\"}")).isEqualTo(-1);
        assertThat(DeliveryLatency.storedAt(null)).isEqualTo(-1);
    }

    @Test
    void recordsOncePerMessageFrame() {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        DeliveryLatency latency = new DeliveryLatency(meters, () -> 1_700_000_000_500L);
        latency.record(codec.encode(new ServerFrame.Message("r:x", 1, "m1", new UserRef("u1", "A", null), "c1", "text",
                "hi", 1_700_000_000_100L)));
        latency.record(codec.encode(new ServerFrame.Pong("r", 5)));

        Timer timer = meters.get("im.gateway.delivery.latency").timer();
        assertThat(timer.count()).isEqualTo(1);
        assertThat(timer.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(400);
    }
}
