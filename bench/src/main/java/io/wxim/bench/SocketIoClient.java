package io.wxim.bench;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import reactor.netty.http.client.HttpClient;

/**
 * The Socket.IO reference peer (bench/socketio-peer/server.mjs) over Engine.IO v4 on WebSocket, without a client
 * library: open ({@code 0}), connect with the user in the auth object ({@code 40{"user":..}}), events with acks
 * ({@code 42<id>[..]} / {@code 43<id>[..]}), and pong ({@code 3}) to each server ping ({@code 2}).
 */
public final class SocketIoClient extends BenchClient {

    private final String user;
    private final Map<Long, Long> sendAcks = new ConcurrentHashMap<>();

    public SocketIoClient(int index, HttpClient http, String runId) {
        super(index, http);
        this.user = "b" + runId + "-" + index;
    }

    @Override
    public String userId() {
        return user;
    }

    public static String wsUrl(String baseUrl) {
        String b = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        return b.replaceFirst("^http", "ws") + EngineIo.PATH;
    }

    @Override
    public CompletableFuture<Void> connect(String url) {
        ready = new CompletableFuture<>();
        CompletableFuture<Void> mine = ready;
        ws = WsConnection.open(http, wsUrl(url), noHeaders(), () -> { }, this::onFrame, this::closed);
        return mine;
    }

    private void onFrame(String frame) {
        EngineIo.Packet p;
        try {
            p = EngineIo.decode(frame);
        } catch (IllegalArgumentException e) {
            return;
        }
        switch (p.engineType()) {
            case EngineIo.OPEN -> ws.send(EngineIo.connect("{\"user\":\"" + user + "\"}"));
            case EngineIo.EIO_PING -> ws.send(EngineIo.PONG);
            case EngineIo.MESSAGE -> onPacket(p, frame);
            default -> {
            }
        }
    }

    private void onPacket(EngineIo.Packet p, String frame) {
        switch (p.socketType()) {
            case EngineIo.EVENT -> deliver(frame);
            case EngineIo.CONNECT -> ready.complete(null);
            case EngineIo.CONNECT_ERROR -> ready.completeExceptionally(new IllegalStateException(p.data()));
            case EngineIo.ACK -> {
                Long intended = sendAcks.remove(p.ackId());
                if (intended != null) {
                    Listener l = listener;
                    if (p.data().contains("\"error\"")) {
                        if (l != null) {
                            l.onError(this, "ack_error");
                        }
                    } else if (l != null) {
                        l.onAck(this, intended, System.nanoTime());
                    }
                } else {
                    answer(String.valueOf(p.ackId()), p.data(), p.data().contains("\"error\"") ? p.data() : null);
                }
            }
            default -> {
            }
        }
    }

    @Override
    public CompletableFuture<String> createRoom(String name) {
        String room = name.replaceAll("[^A-Za-z0-9_:.-]", "-");
        return join(room).thenApply(x -> room);
    }

    @Override
    public CompletableFuture<Void> join(String room) {
        long id = ids.incrementAndGet();
        CompletableFuture<String> f = expect(String.valueOf(id));
        ws.send(EngineIo.event("join", "\"" + room + "\"", id));
        return f.thenApply(x -> null);
    }

    @Override
    public CompletableFuture<Void> resync() {
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public boolean sendToRoom(String room, String body, long intendedNanos) {
        return send("\"room\":\"" + room + "\"", body, intendedNanos);
    }

    @Override
    public boolean sendDirect(BenchClient to, String body, long intendedNanos) {
        return send("\"to\":\"" + to.userId() + "\"", body, intendedNanos);
    }

    private boolean send(String target, String body, long intendedNanos) {
        WsConnection c = ws;
        if (c == null) {
            return false;
        }
        long id = ids.incrementAndGet();
        sendAcks.put(id, intendedNanos);
        boolean queued = c.send(EngineIo.event("send", "{" + target + ",\"cmid\":\"b" + index + "." + id
                + "\",\"body\":\"" + body + "\"}", id));
        if (!queued) {
            sendAcks.remove(id);
        }
        return queued;
    }

    @Override
    public void heartbeat() {
        // Engine.IO heartbeats are server-driven: the server sends "2", onFrame answers "3".
    }

    @Override
    protected void closed(int code) {
        sendAcks.clear();
        super.closed(code);
    }
}
