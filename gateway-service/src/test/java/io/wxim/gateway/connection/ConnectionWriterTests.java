package io.wxim.gateway.connection;

import static io.wxim.gateway.connection.RawHttp.line;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.ChannelOption;
import io.wxim.protocol.UserRef;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/**
 * {@link Connection#writeTo}: Reactor Netty's writer polling the connection's queue, with real sockets whose buffers
 * are small, so the channel turns unwritable and writable again while frames wait in the queue.
 */
@Timeout(30)
class ConnectionWriterTests {
    private static final int FRAME = 100_000;
    private DisposableServer server;
    private Socket client;

    @AfterEach
    void stop() throws IOException {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.disposeNow(Duration.ofSeconds(5));
        }
    }

    @Test
    void framesQueuedWhileTheSocketWasFull_areWrittenWhenTheClientReadsAgain_withoutAnotherFrameQueued() throws Exception {
        Connection conn = new Connection("c1", new UserRef("u1", "U", null), 512, () -> { });
        CompletableFuture<Void> serving = new CompletableFuture<>();
        server = HttpServer.create().host("127.0.0.1").port(0)
                .childOption(ChannelOption.SO_SNDBUF, 8192)
                .route(routes -> routes.ws("/ws", (in, out) -> {
                    serving.complete(null);
                    return conn.writeTo(out);
                }))
                .bindNow(Duration.ofSeconds(10));
        client = new Socket();
        client.setReceiveBufferSize(4096);
        client.connect(new InetSocketAddress("127.0.0.1", server.port()), 5_000);
        client.setSoTimeout(5_000);
        client.getOutputStream().write(("GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        InputStream in = client.getInputStream();
        assertThat(line(in)).startsWith("HTTP/1.1 101");
        while (!line(in).isEmpty()) {
            // headers
        }
        serving.get(5, TimeUnit.SECONDS);

        for (char c : new char[] {'a', 'b', 'c'}) {
            assertThat(conn.deliver(String.valueOf(c).repeat(FRAME))).isTrue();
        }
        Thread.sleep(300); // the client does not read: the socket fills, the channel turns unwritable

        DataInputStream frames = new DataInputStream(in);
        for (char c : new char[] {'a', 'b', 'c'}) {
            assertThat(frames.readUnsignedByte()).isEqualTo(0x81); // FIN + text
            assertThat(frames.readUnsignedByte()).isEqualTo(127); // unmasked, 64-bit length
            assertThat(frames.readLong()).isEqualTo(FRAME);
            byte[] payload = new byte[FRAME];
            frames.readFully(payload); // times out (5 s) if the writer is not woken when the socket drains
            assertThat(payload[0]).isEqualTo((byte) c);
            assertThat(payload[FRAME - 1]).isEqualTo((byte) c);
        }
    }
}
