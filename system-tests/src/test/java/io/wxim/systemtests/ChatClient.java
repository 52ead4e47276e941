package io.wxim.systemtests;

import io.wxim.protocol.FrameCodec;
import io.wxim.protocol.ServerFrame;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A test client that behaves like the SDK should: one WebSocket to one of the gateways; on close it reconnects with
 * jittered exponential backoff to the next gateway that answers, then syncs every conversation it knows from its
 * last contiguous seq; an unacknowledged send is resent with the same cmid. It keeps a view conversation -> seq ->
 * message from acks, live pushes and syncs, and records anomalies (one seq with two messages, one cmid at two seqs).
 * Like the SDK it notes a conversation for sync when a push shows a gap ({@code seq} > last + 1) and every
 * conversation when the gateway sends {@code resync}; the thread driving the client runs those syncs
 * ({@link #syncPending()}), since the socket's listener thread must not wait for answers.
 * Not thread-safe for commands: one thread drives a client (as a connection has one command in flight anyway).
 */
final class ChatClient implements AutoCloseable {
    static final Duration COMMAND_WAIT = Duration.ofSeconds(15); // above the gateway's 10 s answer timeout

    record Login(String token, String userId, String nickname) {
    }

    /** A reconnect: when the welcome arrived and how long until every conversation was synced up to its lastSeq. */
    record Reconnect(int gatewayPort, long welcomeNanos, long caughtUpMillis) {
    }

    static final class Closed extends RuntimeException {
        Closed(String message) {
            super(message, null, false, false);
        }
    }

    private final FrameCodec codec = new FrameCodec();
    private final HttpClient http;
    final String name;
    final Login login;
    private final List<Integer> gateways;
    private int gatewayIndex;
    private volatile Connection connection;
    final Map<String, ConcurrentSkipListMap<Long, ServerFrame.Message>> view = new ConcurrentHashMap<>();
    private final Map<String, Map<String, Long>> cmidSeq = new ConcurrentHashMap<>();
    final List<String> anomalies = new CopyOnWriteArrayList<>();
    final List<Reconnect> reconnects = new CopyOnWriteArrayList<>();
    final Set<String> conversations = ConcurrentHashMap.newKeySet();
    /** {@code conv#seq} of every message that arrived as a live push (not by sync). */
    final Set<String> pushed = ConcurrentHashMap.newKeySet();
    /** Conversations to sync (a gap seen in pushes, or a {@code resync} frame); drained by {@link #syncPending()}. */
    private final Set<String> needSync = ConcurrentHashMap.newKeySet();
    /** How many {@code resync} frames arrived. */
    final AtomicLong resyncs = new AtomicLong();
    private final AtomicLong rids = new AtomicLong();

    ChatClient(HttpClient http, String name, Login login, List<Integer> gateways, int firstGateway) {
        this.http = http;
        this.name = name;
        this.login = login;
        this.gateways = List.copyOf(gateways);
        this.gatewayIndex = firstGateway;
    }

    private final class Connection {
        final int port;
        WebSocket socket;
        final CompletableFuture<ServerFrame.Welcome> welcome = new CompletableFuture<>();
        final Map<String, CompletableFuture<ServerFrame>> pending = new ConcurrentHashMap<>();
        volatile boolean closed;
        volatile String why;

        Connection(int port) {
            this.port = port;
        }

        void fail(String why) {
            if (!closed) {
                this.why = why;
            }
            closed = true;
            welcome.completeExceptionally(new Closed(why));
            pending.values().forEach(f -> f.completeExceptionally(new Closed(why)));
        }

        WebSocket.Listener listener() {
            return new WebSocket.Listener() {
                private final StringBuilder partial = new StringBuilder();

                @Override
                public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                    partial.append(data);
                    if (last) {
                        String text = partial.toString();
                        partial.setLength(0);
                        try {
                            onFrame(Connection.this, codec.decodeServer(text));
                        } catch (RuntimeException e) {
                            anomalies.add("undecodable frame: " + e);
                        }
                    }
                    webSocket.request(1);
                    return null;
                }

                @Override
                public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
                    fail("closed " + statusCode + " " + reason);
                    return null;
                }

                @Override
                public void onError(WebSocket webSocket, Throwable error) {
                    fail("error " + error);
                }
            };
        }
    }

    private void onFrame(Connection c, ServerFrame frame) {
        if (frame instanceof ServerFrame.Welcome w) {
            c.welcome.complete(w);
            return;
        }
        if (frame instanceof ServerFrame.Message m) {
            pushed.add(m.conv() + "#" + m.seq());
            if (m.seq() > contiguous(m.conv()) + 1) {
                needSync.add(m.conv());
            }
            record(m);
        } else if (frame instanceof ServerFrame.Resync) {
            resyncs.incrementAndGet();
            needSync.addAll(conversations);
        } else if (frame instanceof ServerFrame.Synced s) {
            s.messages().forEach(this::record);
        }
        String rid = rid(frame);
        if (rid != null) {
            CompletableFuture<ServerFrame> f = c.pending.remove(rid);
            if (f != null) {
                f.complete(frame);
            }
        }
    }

    private static String rid(ServerFrame frame) {
        if (frame instanceof ServerFrame.Ack a) {
            return a.rid();
        } else if (frame instanceof ServerFrame.Error e) {
            return e.rid();
        } else if (frame instanceof ServerFrame.Synced s) {
            return s.rid();
        } else if (frame instanceof ServerFrame.Joined j) {
            return j.rid();
        } else if (frame instanceof ServerFrame.Pong p) {
            return p.rid();
        }
        return null;
    }

    void record(ServerFrame.Message m) {
        conversations.add(m.conv());
        ServerFrame.Message previous = view.computeIfAbsent(m.conv(), k -> new ConcurrentSkipListMap<>()).putIfAbsent(m.seq(), m);
        if (previous != null && !previous.id().equals(m.id())) {
            anomalies.add("unexpected: " + m.conv() + " seq " + m.seq() + " was " + previous.id() + " now " + m.id());
        }
        Long seq = cmidSeq.computeIfAbsent(m.conv(), k -> new ConcurrentHashMap<>()).putIfAbsent(m.from().id() + "/" + m.cmid(), m.seq());
        if (seq != null && seq != m.seq()) {
            anomalies.add("duplicated: " + m.conv() + " cmid " + m.cmid() + " at seq " + seq + " and " + m.seq());
        }
    }

    /** The highest seq n such that the view holds 1..n. */
    long contiguous(String conv) {
        ConcurrentSkipListMap<Long, ServerFrame.Message> v = view.get(conv);
        long n = 0;
        if (v != null) {
            while (v.containsKey(n + 1)) {
                n++;
            }
        }
        return n;
    }

    /** Connects (or reconnects) if the current connection is gone; then syncs every known conversation. */
    void ensureConnected(Duration deadline) {
        Connection c = connection;
        if (c != null && !c.closed) {
            return;
        }
        boolean reconnect = c != null;
        long until = System.nanoTime() + deadline.toNanos();
        int attempt = 0;
        while (true) {
            if (System.nanoTime() > until) {
                throw new AssertionError(name + " could not reconnect within " + deadline);
            }
            if (attempt > 0) {
                long backoff = Math.min(2000, 100L << Math.min(attempt, 5));
                sleep(backoff / 2 + ThreadLocalRandom.current().nextLong(backoff / 2 + 1));
                gatewayIndex = (gatewayIndex + 1) % gateways.size();
            }
            attempt++;
            int port = gateways.get(gatewayIndex);
            Connection next = new Connection(port);
            try {
                next.socket = http.newWebSocketBuilder().header("Authorization", "Bearer " + login.token())
                        .connectTimeout(Duration.ofSeconds(5))
                        .buildAsync(URI.create("ws://127.0.0.1:" + port + "/ws"), next.listener())
                        .get(10, TimeUnit.SECONDS);
                ServerFrame.Welcome welcome = next.welcome.get(15, TimeUnit.SECONDS);
                long welcomeAt = System.nanoTime();
                connection = next;
                welcome.conversations().forEach(info -> {
                    if (!info.conv().equals("r:lobby")) {
                        conversations.add(info.conv());
                    }
                });
                for (var info : welcome.conversations()) {
                    if (!info.conv().equals("r:lobby")) {
                        syncAll(info.conv());
                    }
                }
                for (String conv : conversations) {
                    syncAll(conv);
                }
                if (reconnect) {
                    reconnects.add(new Reconnect(port, welcomeAt, (System.nanoTime() - welcomeAt) / 1_000_000));
                }
                return;
            } catch (Closed | java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                next.fail("connect failed: " + e);
                if (next.socket != null) {
                    next.socket.abort();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    /** Runs the syncs a gap or a {@code resync} asked for; returns how many conversations it synced. */
    int syncPending() {
        int n = 0;
        for (String conv : List.copyOf(needSync)) {
            needSync.remove(conv);
            try {
                syncAll(conv);
                n++;
            } catch (Closed e) {
                needSync.add(conv); // the reconnect syncs everything anyway
                return n;
            }
        }
        return n;
    }

    /** Syncs one conversation page by page from the last contiguous seq until {@code more} is false. */
    void syncAll(String conv) {
        while (true) {
            String rid = "s" + rids.incrementAndGet();
            ServerFrame f = request(rid, "{\"type\":\"sync\",\"rid\":\"" + rid + "\",\"limit\":100,\"convs\":{\""
                    + conv + "\":" + contiguous(conv) + "}}");
            if (f instanceof ServerFrame.Synced s) {
                if (!s.more()) {
                    return;
                }
            } else if (f instanceof ServerFrame.Error e && e.retry()) {
                sleep(200);
            } else {
                throw new AssertionError(name + " sync " + conv + " answered " + f);
            }
        }
    }

    /** Sends one command on the current connection and waits for its answer; throws {@link Closed} if the socket dies. */
    ServerFrame request(String rid, String json) {
        Connection c = connection;
        if (c == null || c.closed) {
            throw new Closed("not connected" + (c == null ? "" : " (" + c.why + ")"));
        }
        CompletableFuture<ServerFrame> answer = new CompletableFuture<>();
        c.pending.put(rid, answer);
        if (c.closed) {
            throw new Closed("closed");
        }
        try {
            c.socket.sendText(json, true).get(5, TimeUnit.SECONDS);
            return answer.get(COMMAND_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof Closed closed) {
                throw closed;
            }
            c.fail("send failed: " + e.getCause());
            c.socket.abort();
            throw new Closed("send failed: " + e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            // No answer within the documented bound: treat the connection as broken (as an SDK would) and retry.
            anomalies.add("no answer within " + COMMAND_WAIT + " to " + rid + " on " + c.port);
            c.fail("no answer");
            c.socket.abort();
            throw new Closed("no answer");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } finally {
            c.pending.remove(rid);
        }
    }

    /** Sends until acknowledged: reconnects on a lost connection, retries retryable errors, always with the same cmid. */
    ServerFrame.Ack sendReliably(String target, String cmid, String body, Duration deadline) {
        long until = System.nanoTime() + deadline.toNanos();
        int attempt = 0;
        while (System.nanoTime() < until) {
            attempt++;
            try {
                ensureConnected(Duration.ofSeconds(60));
                ServerFrame f = send(target, cmid, body);
                if (f instanceof ServerFrame.Ack ack) {
                    return ack;
                }
                ServerFrame.Error e = (ServerFrame.Error) f;
                if (!e.retry()) {
                    throw new AssertionError(name + " send " + cmid + " refused: " + e);
                }
                long backoff = "rate_limited".equals(e.code()) ? 250 : Math.min(2000, 100L << Math.min(attempt, 5));
                sleep(backoff / 2 + ThreadLocalRandom.current().nextLong(backoff / 2 + 1));
            } catch (Closed e) {
                // reconnect on the next round
            }
        }
        throw new AssertionError(name + " send " + cmid + " not acknowledged within " + deadline);
    }

    /** One attempt: the ack or the error (never null); throws {@link Closed} if the connection died. */
    ServerFrame send(String target, String cmid, String body) {
        String rid = "m" + rids.incrementAndGet();
        String addressing = target.startsWith("u:") ? "\"to\":\"" + target.substring(2) + "\"" : "\"conv\":\"" + target + "\"";
        ServerFrame f = request(rid, "{\"type\":\"send\",\"rid\":\"" + rid + "\",\"cmid\":\"" + cmid + "\"," + addressing
                + ",\"body\":\"" + body + "\"}");
        if (f instanceof ServerFrame.Ack ack) {
            conversations.add(ack.conv());
            return ack;
        }
        if (f instanceof ServerFrame.Error) {
            return f;
        }
        throw new AssertionError(name + " send answered " + f);
    }

    ServerFrame.Joined command(String type, String extra) {
        String rid = "c" + rids.incrementAndGet();
        ServerFrame f = request(rid, "{\"type\":\"" + type + "\",\"rid\":\"" + rid + "\"," + extra + "}");
        if (f instanceof ServerFrame.Joined j) {
            conversations.add(j.conv());
            return j;
        }
        throw new AssertionError(name + " " + type + " answered " + f);
    }

    int currentPort() {
        Connection c = connection;
        return c == null ? -1 : c.port;
    }

    boolean connected() {
        Connection c = connection;
        return c != null && !c.closed;
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Drops the connection without a close frame (as a crashed phone would). */
    void abort() {
        Connection c = connection;
        if (c != null) {
            c.fail("aborted by the test");
            c.socket.abort();
        }
    }

    @Override
    public void close() {
        Connection c = connection;
        if (c != null && !c.closed) {
            c.socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").orTimeout(2, TimeUnit.SECONDS).exceptionally(e -> null).join();
            c.socket.abort();
        }
    }
}
