package io.wxim.history;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/**
 * Guards the HTTP server every service runs on (Reactor Netty, its version managed in the root pom): a keep-alive
 * connection must go on reading after a request that arrived while the previous response was still being finished.
 * Reactor Netty up to 1.3.7 did not: the request was served, but the connection was never read again, so the client's
 * next request on it got no answer at all (seen as rare 20 s hangs in history's media and internal API tests and a
 * chat command running into its deadline). Plain sockets, no Spring: two requests in one write (the second is
 * buffered while the first is answered after 50 ms, then answered at once), then a third on the same connection.
 */
@Timeout(30)
class KeepAliveTests {
    private DisposableServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.disposeNow(Duration.ofSeconds(5));
        }
    }

    @Test
    void readsTheNextRequestAfterABufferedOneWasAnsweredAtOnce() throws IOException {
        server = HttpServer.create().host("127.0.0.1").port(0)
                .route(routes -> routes
                        .get("/slow", (req, res) -> res.sendString(Mono.delay(Duration.ofMillis(50)).thenReturn("slow")))
                        .get("/fast", (req, res) -> res.sendString(Mono.just("fast"))))
                .bindNow(Duration.ofSeconds(10));
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(5_000);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            out.write((request("/slow") + request("/fast")).getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertThat(readBody(in)).isEqualTo("slow");
            assertThat(readBody(in)).isEqualTo("fast");
            for (int i = 0; i < 3; i++) {
                out.write(request("/fast").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                assertThat(readBody(in)).as("request %d after the buffered one", i + 1).isEqualTo("fast");
            }
        }
    }

    private static String request(String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    }

    /** Reads one response (status 200, Content-Length or chunked) and returns its body. */
    private static String readBody(InputStream in) throws IOException {
        String status = readLine(in);
        assertThat(status).startsWith("HTTP/1.1 200");
        int length = -1;
        boolean chunked = false;
        for (String line = readLine(in); !line.isEmpty(); line = readLine(in)) {
            String lower = line.toLowerCase(Locale.ROOT);
            if (lower.startsWith("content-length:")) {
                length = Integer.parseInt(lower.substring("content-length:".length()).trim());
            } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                chunked = true;
            }
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (chunked) {
            for (int size = Integer.parseInt(readLine(in).trim(), 16); size > 0; size = Integer.parseInt(readLine(in).trim(), 16)) {
                body.write(in.readNBytes(size));
                readLine(in);
            }
            readLine(in);
        } else {
            body.write(in.readNBytes(length));
        }
        return body.toString(StandardCharsets.UTF_8);
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new IOException("connection closed after: " + line);
            }
            if (c != '\r') {
                line.append((char) c);
            }
        }
        return line.toString();
    }
}
