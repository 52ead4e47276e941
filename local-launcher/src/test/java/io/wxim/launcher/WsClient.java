package io.wxim.launcher;

import io.wxim.protocol.FrameCodec;
import io.wxim.protocol.ServerFrame;
import io.wxim.protocol.crypto.FrameCipher;
import io.wxim.protocol.crypto.KeyWrap;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A real WebSocket client for the end-to-end tests (JDK HttpClient): decodes every server frame with the shared
 * codec, keeps them in arrival order, and lets a test wait for the next frame matching a predicate. Bounded waits only.
 */
final class WsClient implements AutoCloseable {
    static final Duration WAIT = Duration.ofSeconds(10);

    private final FrameCodec codec = new FrameCodec();
    private final LinkedBlockingQueue<ServerFrame> frames = new LinkedBlockingQueue<>();
    private final List<ServerFrame> seen = new ArrayList<>();
    private final List<ServerFrame> backlog = new ArrayList<>();
    private final CompletableFuture<Integer> closed = new CompletableFuture<>();
    private final boolean reading;
    private WebSocket socket;
    /** Every text frame as received (sealed ones still sealed), in order. */
    private final List<String> raw = java.util.Collections.synchronizedList(new ArrayList<>());
    /** Set by {@link #secure}: seals what this client sends from then on, and opens what follows {@code secured}. */
    private volatile FrameCipher cipher;
    private volatile boolean openInbound;
    private volatile long closedAtNanos;
    /** Called with every decoded frame and its arrival time (epoch ms), on the client's receive thread. */
    private volatile java.util.function.BiConsumer<ServerFrame, Long> onFrame;

    private WsClient(boolean reading) {
        this.reading = reading;
    }

    static WsClient connect(HttpClient http, int port, String token) {
        return connect(http, port, token, true);
    }

    /** {@code reading=false}: never requests frames after the first, like a client that stopped reading. */
    static WsClient connect(HttpClient http, int port, String token, boolean reading) {
        WsClient client = new WsClient(reading);
        client.socket = http.newWebSocketBuilder()
                .header("Authorization", "Bearer " + token)
                .connectTimeout(WAIT)
                .buildAsync(URI.create("ws://127.0.0.1:" + port + "/ws"), client.listener())
                .orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS)
                .join();
        return client;
    }

    private WebSocket.Listener listener() {
        return new WebSocket.Listener() {
            private final StringBuilder partial = new StringBuilder();

            @Override
            public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                partial.append(data);
                if (last) {
                    String text = partial.toString();
                    partial.setLength(0);
                    raw.add(text);
                    ServerFrame frame = codec.decodeServer(openInbound ? cipher.open(text) : text);
                    if (frame instanceof ServerFrame.Secured) {
                        openInbound = true; // every frame after it is sealed
                    }
                    java.util.function.BiConsumer<ServerFrame, Long> hook = onFrame;
                    if (hook != null) {
                        hook.accept(frame, System.currentTimeMillis());
                    }
                    frames.add(frame);
                }
                if (reading) {
                    webSocket.request(1);
                }
                return null;
            }

            @Override
            public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
                closedAtNanos = System.nanoTime();
                closed.complete(statusCode);
                return null;
            }

            @Override
            public void onError(WebSocket webSocket, Throwable error) {
                closed.complete(-1);
            }
        };
    }

    /** Sends a frame, sealed if this client switched to encryption. */
    void send(String json) {
        FrameCipher sealer = cipher;
        sendRaw(sealer == null ? json : sealer.seal(json));
    }

    /** Sends text exactly as given (crafted, replayed or plaintext frames). */
    void sendRaw(String text) {
        socket.sendText(text, true).orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS).join();
    }

    /**
     * Sends {@code secure} with this key wrapped for {@code publicKey} and seals everything sent afterwards; frames
     * after the server's {@code secured} are opened.
     */
    void secure(String rid, String kid, java.security.interfaces.RSAPublicKey publicKey) {
        byte[] key = new byte[32];
        new java.security.SecureRandom().nextBytes(key);
        String wrapped = java.util.Base64.getEncoder().encodeToString(KeyWrap.wrap(publicKey, key));
        sendRaw("{\"type\":\"secure\",\"rid\":\"" + rid + "\",\"kid\":\"" + kid + "\",\"key\":\"" + wrapped + "\"}");
        cipher = FrameCipher.forClient(key);
    }

    /** Seals a frame with this client's cipher without sending it (advances the counter). */
    String seal(String json) {
        return cipher.seal(json);
    }

    /** Sends a binary frame. */
    void sendBinary(byte[] bytes) {
        socket.sendBinary(java.nio.ByteBuffer.wrap(bytes), true).orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS).join();
    }

    List<String> rawFrames() {
        synchronized (raw) {
            return List.copyOf(raw);
        }
    }

    /**
     * Returns the oldest not yet awaited frame of this type matching the predicate, waiting for it if needed.
     * Frames passed over stay available to later awaits, so the order of two awaits does not have to match the
     * order in which unrelated frames arrive (e.g. the sender's own message push before its ack).
     */
    <T extends ServerFrame> T await(Class<T> type, Predicate<T> match) {
        return await(type, match, WAIT);
    }

    <T extends ServerFrame> T await(Class<T> type, Predicate<T> match, Duration wait) {
        for (ServerFrame frame : backlog) {
            if (type.isInstance(frame) && match.test(type.cast(frame))) {
                backlog.remove(frame);
                return type.cast(frame);
            }
        }
        long deadline = System.nanoTime() + wait.toNanos();
        try {
            while (true) {
                long left = deadline - System.nanoTime();
                ServerFrame frame = left <= 0 ? null : frames.poll(left, TimeUnit.NANOSECONDS);
                if (frame == null) {
                    throw new AssertionError("no " + type.getSimpleName() + " matching within " + wait + "; seen " + seen);
                }
                seen.add(frame);
                if (type.isInstance(frame) && match.test(type.cast(frame))) {
                    return type.cast(frame);
                }
                backlog.add(frame);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    <T extends ServerFrame> T await(Class<T> type) {
        return await(type, f -> true);
    }

    /** Every frame received so far (waited-for or skipped), plus those still queued. */
    List<ServerFrame> received() {
        List<ServerFrame> all = new ArrayList<>(seen);
        all.addAll(frames);
        return all;
    }

    /** The close code the server sent (or -1 on abnormal closure), waiting at most {@code wait}. */
    int closeCode(Duration wait) {
        return closed.orTimeout(wait.toMillis(), TimeUnit.MILLISECONDS).join();
    }

    /** System.nanoTime() when the server's close arrived (0 while open). */
    /** Observes every frame from now on with its arrival time (epoch ms). */
    void onFrame(java.util.function.BiConsumer<ServerFrame, Long> hook) {
        this.onFrame = hook;
    }

    long closedAtNanos() {
        return closedAtNanos;
    }

    boolean isClosed() {
        return closed.isDone();
    }

    @Override
    public void close() {
        if (!socket.isOutputClosed()) {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").orTimeout(2, TimeUnit.SECONDS)
                    .exceptionally(e -> null).join();
        }
        socket.abort();
    }
}
