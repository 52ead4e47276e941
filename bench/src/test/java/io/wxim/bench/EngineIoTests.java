package io.wxim.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class EngineIoTests {

    @Test
    void encodesConnectAndEvents() {
        assertThat(EngineIo.connect(null)).isEqualTo("40");
        assertThat(EngineIo.connect("{\"user\":\"u1\"}")).isEqualTo("40{\"user\":\"u1\"}");
        assertThat(EngineIo.event("send", "{\"room\":\"r\"}", 12)).isEqualTo("4212[\"send\",{\"room\":\"r\"}]");
        assertThat(EngineIo.event("join", "\"r\"", -1)).isEqualTo("42[\"join\",\"r\"]");
    }

    @Test
    void decodesEngineIoPackets() {
        EngineIo.Packet open = EngineIo.decode("0{\"sid\":\"abc\",\"pingInterval\":25000}");
        assertThat(open.engineType()).isEqualTo(EngineIo.OPEN);
        assertThat(open.data()).startsWith("{\"sid\"");
        assertThat(EngineIo.decode("2").engineType()).isEqualTo(EngineIo.EIO_PING);
        assertThat(EngineIo.decode("3").engineType()).isEqualTo(EngineIo.EIO_PONG);
        assertThat(EngineIo.decode("1").engineType()).isEqualTo(EngineIo.CLOSE);
    }

    @Test
    void decodesSocketIoPackets_withAndWithoutAckIds() {
        EngineIo.Packet connected = EngineIo.decode("40{\"sid\":\"x\"}");
        assertThat(connected.socketType()).isEqualTo(EngineIo.CONNECT);
        assertThat(connected.ackId()).isEqualTo(-1);
        assertThat(connected.data()).isEqualTo("{\"sid\":\"x\"}");

        EngineIo.Packet event = EngineIo.decode("42[\"message\",{\"body\":\"B1|0|1|2|3\"}]");
        assertThat(event.socketType()).isEqualTo(EngineIo.EVENT);
        assertThat(event.ackId()).isEqualTo(-1);
        assertThat(EngineIo.eventName(event.data())).isEqualTo("message");

        EngineIo.Packet ack = EngineIo.decode("43417[{\"cmid\":\"b1.417\",\"ts\":1}]");
        assertThat(ack.socketType()).isEqualTo(EngineIo.ACK);
        assertThat(ack.ackId()).isEqualTo(417);
        assertThat(ack.data()).isEqualTo("[{\"cmid\":\"b1.417\",\"ts\":1}]");

        EngineIo.Packet withNamespace = EngineIo.decode("43/,5[]");
        assertThat(withNamespace.ackId()).isEqualTo(5);
        assertThat(EngineIo.decode("44{\"message\":\"nope\"}").socketType()).isEqualTo(EngineIo.CONNECT_ERROR);
    }

    @Test
    void refusesWhatItDoesNotSpeak() {
        assertThatThrownBy(() -> EngineIo.decode("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EngineIo.decode("x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EngineIo.decode("4")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EngineIo.decode("42/chat,[\"a\"]")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void roundTripsAnEventThroughTheDecoder() {
        EngineIo.Packet p = EngineIo.decode(EngineIo.event("send", "{\"to\":\"u2\"}", 9));
        assertThat(p.engineType()).isEqualTo(EngineIo.MESSAGE);
        assertThat(p.socketType()).isEqualTo(EngineIo.EVENT);
        assertThat(p.ackId()).isEqualTo(9);
        assertThat(EngineIo.eventName(p.data())).isEqualTo("send");
    }
}
