package io.wxim.gateway.connection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wxim.protocol.UserRef;
import io.wxim.protocol.crypto.FrameCipher;
import io.wxim.protocol.crypto.SecureChannelException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The switch to encrypted frames on one connection: exactly the frames after {@code secured} are sealed, in order. */
class ConnectionSecureTests {
    private final Connection connection = new Connection("c1", new UserRef("u1", "A", null), 64, () -> { });
    private final byte[] key = new byte[32];

    ConnectionSecureTests() {
        new SecureRandom().nextBytes(key);
    }

    @Test
    void framesQueuedBeforeSecuredStayPlain_securedIsPlain_everythingAfterIsSealedInOrder() {
        FrameCipher client = FrameCipher.forClient(key);
        connection.deliver("{\"type\":\"message\",\"n\":1}");
        String secured = new String("{\"type\":\"secured\"}"); // a distinct instance, as the handshake encodes it
        connection.deliver("{\"type\":\"secured\"}"); // an equal frame that is not the switch must not switch
        assertThat(connection.switchToSecure(FrameCipher.forServer(key), secured)).isTrue();
        connection.deliver("{\"type\":\"message\",\"n\":2}");
        connection.deliver("{\"type\":\"message\",\"n\":3}");
        connection.completeOutbound();

        List<String> wire = connection.outbound().collectList().block(Duration.ofSeconds(5));

        assertThat(wire).hasSize(5);
        assertThat(wire.subList(0, 3)).containsExactly("{\"type\":\"message\",\"n\":1}", "{\"type\":\"secured\"}",
                "{\"type\":\"secured\"}");
        assertThat(client.open(wire.get(3))).isEqualTo("{\"type\":\"message\",\"n\":2}");
        assertThat(client.open(wire.get(4))).isEqualTo("{\"type\":\"message\",\"n\":3}");
    }

    @Test
    void opensInbound_andAfterOneFailureRefusesEvenValidFrames() {
        FrameCipher client = FrameCipher.forClient(key);
        assertThat(connection.isSecure()).isFalse();
        connection.switchToSecure(FrameCipher.forServer(key), "{\"type\":\"secured\"}");
        assertThat(connection.isSecure()).isTrue();

        assertThat(connection.openInbound(client.seal("{\"type\":\"ping\"}"))).isEqualTo("{\"type\":\"ping\"}");
        String replayable = client.seal("{\"type\":\"ping\",\"rid\":\"2\"}");
        assertThat(connection.openInbound(replayable)).contains("\"rid\":\"2\"");
        assertThatThrownBy(() -> connection.openInbound(replayable)).isInstanceOf(SecureChannelException.class);
        String valid = client.seal("{\"type\":\"ping\",\"rid\":\"3\"}");
        assertThatThrownBy(() -> connection.openInbound(valid)).isInstanceOf(SecureChannelException.class);
    }

    @Test
    void switchesOnlyOnce() {
        assertThat(connection.switchToSecure(FrameCipher.forServer(key), "{\"type\":\"secured\"}")).isTrue();
        assertThat(connection.switchToSecure(FrameCipher.forServer(key), "{\"type\":\"secured\"}")).isFalse();
    }
}
