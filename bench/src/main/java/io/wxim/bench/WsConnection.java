package io.wxim.bench;

import io.netty.handler.codec.http.HttpHeaders;
import java.time.Duration;
import java.util.function.Consumer;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.WebsocketClientSpec;
import reactor.netty.resources.ConnectionProvider;
import reactor.netty.resources.LoopResources;
import reactor.util.concurrent.Queues;

/**
 * One client WebSocket on the generator's shared event loop (no thread per connection). Inbound text frames go to
 * {@code onFrame} on the event loop; {@link #send} may be called from any thread (a bounded queue per connection:
 * a full queue counts as a generator-side drop, it never blocks). {@code onClosed} runs once with the close code
 * (or -1 when the handshake or the transport failed).
 */
public final class WsConnection {

    /** Frames queued for sending per connection before {@link #send} starts refusing. */
    static final int OUTBOUND_QUEUE = Queues.SMALL_BUFFER_SIZE;

    private final Sinks.Many<String> outbound = Sinks.many().unicast().onBackpressureBuffer(
            Queues.<String>get(OUTBOUND_QUEUE).get());
    private volatile Disposable subscription;
    private volatile int closeCode = -1;
    private volatile boolean closed;

    private WsConnection() {
    }

    /** Shared HTTP client for WebSockets: no pooling (each upgrade is its own TCP connection), generator loops. */
    public static HttpClient client(LoopResources loops) {
        return HttpClient.create(ConnectionProvider.newConnection()).runOn(loops).responseTimeout(Duration.ofSeconds(30));
    }

    /**
     * Opens {@code url}. {@code onOpen} runs on the event loop once upgraded; {@code onClosed} exactly once at the end.
     */
    public static WsConnection open(HttpClient client, String url, Consumer<HttpHeaders> headers, Runnable onOpen,
                                    Consumer<String> onFrame, Consumer<Integer> onClosed) {
        WsConnection c = new WsConnection();
        c.subscription = client.headers(headers)
                .websocket(WebsocketClientSpec.builder().maxFramePayloadLength(1 << 20).handlePing(false).build())
                .uri(url)
                .handle((in, out) -> {
                    onOpen.run();
                    Mono<Void> closeStatus = in.receiveCloseStatus().doOnNext(s -> c.closeCode = s.code()).then();
                    Mono<Void> reading = in.aggregateFrames(1 << 20).receive().asString()
                            .doOnNext(onFrame).then();
                    Mono<Void> writing = out.sendString(c.outbound.asFlux()).then();
                    return Mono.when(reading, closeStatus).or(writing.then(Mono.never()));
                })
                .then()
                .subscribe(ignored -> { }, e -> c.finish(onClosed), () -> c.finish(onClosed));
        return c;
    }

    private void finish(Consumer<Integer> onClosed) {
        if (!closed) {
            closed = true;
            onClosed.accept(closeCode);
        }
    }

    /** Queues a text frame; false if the connection is closed or its queue is full. */
    public boolean send(String frame) {
        if (closed) {
            return false;
        }
        Sinks.EmitResult r;
        do {
            r = outbound.tryEmitNext(frame);
        } while (r == Sinks.EmitResult.FAIL_NON_SERIALIZED);
        return r.isSuccess();
    }

    public boolean isClosed() {
        return closed;
    }

    /** Drops the connection (the generator never needs a polite close). */
    public void close() {
        outbound.tryEmitComplete();
        Disposable s = subscription;
        if (s != null) {
            s.dispose();
        }
    }
}
