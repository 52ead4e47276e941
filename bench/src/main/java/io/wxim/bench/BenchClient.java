package io.wxim.bench;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import reactor.netty.http.client.HttpClient;

/**
 * One simulated user connection of either target. Scenarios use only these operations; {@link WximClient} and
 * {@link SocketIoClient} speak the wire protocols. Futures complete on the event loop.
 */
public abstract class BenchClient {

    /** A message of ours arrived: its body and the arrival time (System.nanoTime). */
    public interface Listener {
        void onMessage(BenchClient receiver, BodyCodec.Body body, long arrivedNanos);

        default void onAck(BenchClient sender, long intendedNanos, long ackedNanos) {
        }

        default void onError(BenchClient client, String code) {
        }

        default void onClosed(BenchClient client, int code) {
        }
    }

    public final int index;
    protected final HttpClient http;
    protected volatile Listener listener;
    protected volatile WsConnection ws;
    protected final Map<String, CompletableFuture<String>> pending = new ConcurrentHashMap<>();
    protected final AtomicLong ids = new AtomicLong();
    protected volatile CompletableFuture<Void> ready = new CompletableFuture<>();

    protected BenchClient(int index, HttpClient http) {
        this.index = index;
        this.http = http;
    }

    public void listener(Listener l) {
        this.listener = l;
    }

    /** The user id others address direct messages to. */
    public abstract String userId();

    /** Opens the connection to {@code url}; completes once the server said the session is ready. */
    public abstract CompletableFuture<Void> connect(String url);

    /** Creates a room and joins it; completes with the room id. */
    public abstract CompletableFuture<String> createRoom(String name);

    public abstract CompletableFuture<Void> join(String room);

    /** After a (re)connect: catch up (wxim {@code sync}; the peer has nothing to sync and completes at once). */
    public abstract CompletableFuture<Void> resync();

    /** Open-loop send to a room; false when the generator could not even queue it. */
    public abstract boolean sendToRoom(String room, String body, long intendedNanos);

    public abstract boolean sendDirect(BenchClient to, String body, long intendedNanos);

    /** Application heartbeat (wxim {@code ping}; the peer answers the server's pings instead and does nothing). */
    public abstract void heartbeat();

    public boolean isOpen() {
        WsConnection c = ws;
        return c != null && !c.isClosed() && ready.isDone() && !ready.isCompletedExceptionally();
    }

    public void close() {
        WsConnection c = ws;
        if (c != null) {
            c.close();
        }
    }

    protected void closed(int code) {
        if (!ready.isDone()) {
            ready.completeExceptionally(new IllegalStateException("closed before ready: " + code));
        }
        pending.values().forEach(f -> f.completeExceptionally(new IllegalStateException("closed: " + code)));
        pending.clear();
        Listener l = listener;
        if (l != null) {
            l.onClosed(this, code);
        }
    }

    protected void deliver(String frame) {
        BodyCodec.Body body = BodyCodec.find(frame);
        Listener l = listener;
        if (body != null && l != null) {
            l.onMessage(this, body, System.nanoTime());
        }
    }

    /** Completes futures handed out by the subclasses with a rid/ack id. */
    protected void answer(String id, String frameOrNull, String errorOrNull) {
        if (id == null) {
            return;
        }
        CompletableFuture<String> f = pending.remove(id);
        if (f != null) {
            if (errorOrNull != null) {
                f.completeExceptionally(new IllegalStateException(errorOrNull));
            } else {
                f.complete(frameOrNull);
            }
        }
    }

    protected CompletableFuture<String> expect(String id) {
        CompletableFuture<String> f = new CompletableFuture<>();
        pending.put(id, f);
        return f;
    }

    protected static Consumer<io.netty.handler.codec.http.HttpHeaders> noHeaders() {
        return h -> { };
    }
}
