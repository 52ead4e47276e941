package io.wxim.gateway.connection;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.wxim.gateway.config.GatewayProperties;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/** A real Reactor Netty server with the gate (pause at 4, resume at 2) and raw TCP clients. */
@Timeout(30)
class AcceptGateTests {
    private final ConnectionRegistry registry = new ConnectionRegistry(onFrame -> null, new SimpleMeterRegistry(), "{}");
    private final List<Socket> sockets = new ArrayList<>();
    private AcceptGate gate;
    private DisposableServer server;

    /** Silent connections count for {@code firstBytes}: long enough here that only the test's steps move the gate. */
    private void start(Duration firstBytes) {
        start(firstBytes, Duration.ofSeconds(20));
    }

    private void start(Duration firstBytes, Duration maxPause) {
        gate = new AcceptGate(registry, new Binder(new MapConfigurationPropertySource(
                Map.of("im.gateway.node-id", "gw", "im.gateway.ws.max-starting", "4",
                        "im.gateway.ws.max-pause", maxPause.toMillis() + "ms")))
                .bindOrCreate("im.gateway", GatewayProperties.class), new SimpleMeterRegistry(), firstBytes);
        server = gate.apply(HttpServer.create().host("127.0.0.1").port(0))
                .handle((request, response) -> response.sendString(reactor.core.publisher.Mono.just("ok")))
                .bindNow();
    }

    @AfterEach
    void stop() throws IOException {
        for (Socket socket : sockets) {
            socket.close();
        }
        if (server != null) {
            server.disposeNow();
        }
    }

    @Test
    void stopsAccepting_whileFourConnectionsAreSilent_andAcceptsInOrderWhenHalfHaveSpoken() throws Exception {
        start(Duration.ofSeconds(20));
        List<Socket> silent = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            silent.add(connect());
        }
        awaitSilent(4);
        awaitReading(false);

        List<Socket> waiting = requests(3); // the kernel completes their TCP handshakes; the gateway does not accept them
        assertThat(answeredWithin(waiting, 400)).isLessThanOrEqualTo(1); // Netty accepts one more after a pause

        send(silent.get(0)); // one speaks: 3 on the way, still above the resume mark
        assertThat(readStatus(silent.get(0), 5_000)).contains("200");
        assertThat(answeredWithin(waiting, 400)).isLessThanOrEqualTo(1);

        send(silent.get(1)); // two on the way: accepting again, and everyone waiting is served
        assertThat(readStatus(silent.get(1), 5_000)).contains("200");
        assertThat(answeredWithin(waiting, 5_000)).isEqualTo(3);
        assertThat(gate.isPaused()).isFalse();
    }

    @Test
    void aPauseEndsAfterMaxPause_andTheGateStaysOpenUntilHalfAreThrough() throws Exception {
        start(Duration.ofSeconds(20), Duration.ofMillis(300));
        List<Socket> silent = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            silent.add(connect());
        }
        awaitSilent(4);
        awaitReading(false);
        long paused = System.nanoTime();
        List<Socket> waiting = requests(3);
        assertThat(answeredWithin(waiting, 5_000)).isEqualTo(3); // the four stay silent, yet the pause ends
        assertThat((System.nanoTime() - paused) / 1_000_000).isGreaterThanOrEqualTo(250);
        assertThat(gate.isPaused()).isFalse();

        silent.add(connect()); // still four or more on the way: held open, not paused again
        silent.add(connect());
        awaitSilent(6);
        assertThat(gate.isPaused()).isFalse();
        assertThat(server.channel().config().isAutoRead()).isTrue();

        for (int i = 0; i < 4; i++) { // two left on the way: the episode is over
            send(silent.get(i));
            assertThat(readStatus(silent.get(i), 5_000)).contains("200");
        }
        awaitSilent(2);
        connect();
        connect();
        awaitSilent(4);
        awaitReading(false); // four on the way again: a new pause
    }

    @Test
    void aPauseIsReapplied_whenSomethingElseSwitchedReadingBackOn() throws Exception {
        start(Duration.ofSeconds(20));
        for (int i = 0; i < 4; i++) {
            registry.startBegan();
        }
        awaitReading(false);
        // Reactor Netty's acceptor does this a second after an accept error (EMFILE), paused or not
        server.channel().eventLoop().submit(() -> server.channel().config().setAutoRead(true)).get();
        registry.startBegan();
        awaitReading(false);
        for (int i = 0; i < 5; i++) {
            registry.startEnded();
        }
        awaitReading(true);
    }

    @Test
    void silentConnectionsStopCounting_afterTheFirstBytesWindow() throws Exception {
        start(AcceptGate.FIRST_BYTES);
        for (int i = 0; i < 4; i++) {
            connect();
        }
        awaitSilent(4);
        long start = System.nanoTime();
        List<Socket> waiting = requests(3);
        assertThat(answeredWithin(waiting, 10_000)).isEqualTo(3); // the four never sent a byte, yet stop blocking
        assertThat((System.nanoTime() - start) / 1_000_000).isGreaterThanOrEqualTo(AcceptGate.FIRST_BYTES.toMillis() - 200);
        awaitSilent(0);
    }

    @Test
    void stopsAccepting_whileSessionsAwaitTheirWelcome() throws Exception {
        start(Duration.ofSeconds(20));
        for (int i = 0; i < 4; i++) {
            registry.startBegan();
        }
        awaitReading(false);
        List<Socket> waiting = requests(3);
        assertThat(answeredWithin(waiting, 400)).isLessThanOrEqualTo(1);

        registry.startEnded();
        registry.startEnded();
        assertThat(answeredWithin(waiting, 5_000)).isEqualTo(3);
        registry.startEnded();
        registry.startEnded();
        assertThat(registry.starting()).isZero();
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket();
        sockets.add(socket);
        socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 5_000);
        return socket;
    }

    private List<Socket> requests(int count) throws IOException {
        List<Socket> opened = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Socket socket = connect();
            send(socket);
            opened.add(socket);
        }
        return opened;
    }

    /** How many of the sockets have a response (read once each; one read per socket per test step). */
    private final java.util.Set<Socket> answered = new java.util.HashSet<>();

    private int answeredWithin(List<Socket> sockets, int millis) throws IOException {
        long deadline = System.nanoTime() + millis * 1_000_000L;
        for (Socket socket : sockets) {
            if (answered.contains(socket)) {
                continue;
            }
            int left = (int) Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
            try {
                assertThat(readStatus(socket, left)).contains("200");
                answered.add(socket);
            } catch (SocketTimeoutException e) {
                // not answered yet
            }
        }
        return answered.size();
    }

    /** Waits for the gate's task on the server channel's loop: reading on ({@code true}) or paused. */
    private void awaitReading(boolean reading) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (server.channel().config().isAutoRead() != reading && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(server.channel().config().isAutoRead()).isEqualTo(reading);
        assertThat(gate.isPaused()).isEqualTo(!reading);
    }

    private void awaitSilent(int expected) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (gate.silent() != expected && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(gate.silent()).isEqualTo(expected);
    }

    private static void send(Socket socket) throws IOException {
        socket.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
    }

    /** The status line of the response, or SocketTimeoutException after {@code millis}. */
    private static String readStatus(Socket socket, int millis) throws IOException {
        socket.setSoTimeout(millis);
        InputStream in = socket.getInputStream();
        StringBuilder line = new StringBuilder();
        for (int b = in.read(); b != -1 && b != '\n'; b = in.read()) {
            line.append((char) b);
        }
        return line.toString();
    }
}
