package io.wxim.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.LoopResources;

/**
 * The generator's connections to one target: logs in (wxim), connects with bounded concurrency to the given URLs
 * round-robin, keeps application heartbeats going (spread over the interval), closes everything at the end.
 * All sockets share {@code loopThreads} Netty event-loop threads (default 1).
 */
public final class Fleet implements AutoCloseable {

    public enum Target { WXIM, SOCKETIO }

    public final Target target;
    public final List<String> urls;
    public final String runId;
    final LoopResources loops;
    final HttpClient http;
    final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "bench-timer");
        t.setDaemon(true);
        return t;
    });
    private final List<BenchClient> clients = Collections.synchronizedList(new ArrayList<>());
    private final List<BenchClient> prepared = new ArrayList<>();
    private ScheduledFuture<?> heartbeats;
    /** The clients the WebSockets use, one per source address (round robin by client index). */
    private List<HttpClient> sockets;
    private int connectConcurrency = 64;
    private int connectRetries;
    private int connsPerUser = 1;

    public Fleet(Target target, List<String> urls, int loopThreads, String runId) {
        if (urls.isEmpty()) {
            throw new IllegalArgumentException("no --url");
        }
        this.target = target;
        this.urls = List.copyOf(urls);
        this.runId = runId;
        this.loops = LoopResources.create("bench-loop", loopThreads, true);
        this.http = WsConnection.client(loops);
        this.sockets = List.of(http);
    }

    public static Target target(String name) {
        return switch (name) {
            case "wxim" -> Target.WXIM;
            case "socketio" -> Target.SOCKETIO;
            default -> throw new IllegalArgumentException("--target must be wxim or socketio: " + name);
        };
    }

    /**
     * Source addresses for the WebSocket connections, taken in turn (e.g. {@code 127.0.0.2,127.0.0.3}): a socket bound
     * to an address before it connects gets its port from that address's ephemeral range (~28,000 ports on Linux), so
     * more connections need more addresses; leave 127.0.0.1 to the logins, which use the system's choice. Empty: the
     * system picks. An address that does not resolve fails here, not on every connect.
     */
    public Fleet sourceAddresses(List<String> addresses) {
        if (!addresses.isEmpty()) {
            this.sockets = addresses.stream()
                    .map(address -> {
                        java.net.InetSocketAddress bound = new java.net.InetSocketAddress(address, 0);
                        if (bound.isUnresolved()) {
                            throw new IllegalArgumentException("--source-addresses: cannot resolve " + address);
                        }
                        return http.bindAddress(() -> bound);
                    })
                    .toList();
        }
        return this;
    }

    /** The clients signed in by {@link #prepare} and not opened yet (tests). */
    List<BenchClient> prepared() {
        return List.copyOf(prepared);
    }

    /** The client connection {@code index}'s WebSocket goes through. */
    HttpClient socketClient(int index) {
        return sockets.get(index % sockets.size());
    }

    public Fleet connectConcurrency(int n) {
        this.connectConcurrency = Math.max(1, n);
        return this;
    }

    /**
     * A failed connect (e.g. a handshake answered 503 {@code busy} while many sessions start, which a real client
     * retries) is tried again up to {@code n} times, with a backoff from 200 ms, within {@link #open}'s timeout; 0 (the
     * default, what the idle scenario's connects/s measure): left out.
     */
    public Fleet connectRetries(int n) {
        this.connectRetries = Math.max(0, n);
        return this;
    }

    /** wxim only: several connections per user (at most the gateway's per-user cap, 10); for the idle scenario. */
    public Fleet connsPerUser(int n) {
        this.connsPerUser = Math.max(1, n);
        return this;
    }

    /**
     * Opens {@code count} more connections (indexes continue from the previous call), URL {@code i % urls}; those
     * that fail are closed and left out. Returns the open ones, in index order.
     */
    public List<BenchClient> open(int count, Duration timeout, BenchClient.Listener listener) {
        int first = clients.size();
        List<BenchClient> made;
        if (prepared.size() >= count) {
            made = new ArrayList<>(prepared.subList(0, count));
            prepared.subList(0, count).clear();
        } else {
            made = create(first, count);
        }
        made.forEach(c -> c.listener(listener));
        clients.addAll(made); // before connecting: heartbeats reach the open ones during a long connect phase
        AtomicInteger failed = new AtomicInteger();
        List<BenchClient> open = Flux.fromIterable(made)
                .flatMap(c -> connect(c)
                        .thenReturn(c)
                        .timeout(timeout)
                        .onErrorResume(e -> {
                            if (failed.incrementAndGet() <= 3) {
                                System.err.println("connect failed (client " + c.index + "): " + e);
                            }
                            c.close();
                            return Mono.empty();
                        }), connectConcurrency)
                .collectList()
                .block(timeout.multipliedBy(Math.max(1, count / connectConcurrency + 2)));
        if (failed.get() > 0) {
            System.err.println(failed.get() + " of " + count + " connections failed");
        }
        List<BenchClient> sorted = new ArrayList<>(open == null ? List.of() : open);
        sorted.sort((a, b) -> Integer.compare(a.index, b.index));
        return sorted;
    }

    /** One client's connect, tried again {@link #connectRetries} times after a failure. */
    private Mono<Void> connect(BenchClient c) {
        Mono<Void> once = Mono.fromFuture(() -> c.connect(urls.get(c.index % urls.size())));
        return connectRetries == 0 ? once
                : once.retryWhen(reactor.util.retry.Retry.backoff(connectRetries, Duration.ofMillis(200))
                        .maxBackoff(Duration.ofSeconds(2)));
    }

    /**
     * Signs in the users of the next {@code count} connections now (wxim: one dev login each), so that a following
     * {@link #open} measures connecting with a token in hand, as a client that reconnects does, not minting tokens.
     */
    public void prepare(int count) {
        prepared.addAll(create(clients.size(), count));
    }

    private List<BenchClient> create(int first, int count) {
        List<BenchClient> made = new ArrayList<>(count);
        if (target == Target.SOCKETIO) {
            for (int i = 0; i < count; i++) {
                made.add(new SocketIoClient(first + i, socketClient(first + i), runId));
            }
            return made;
        }
        int users = (count + connsPerUser - 1) / connsPerUser;
        List<WximClient.Login> logins = Flux.range(0, users)
                .flatMap(u -> WximClient.login(http, urls.get(0), "b" + runId + "-" + (first / connsPerUser + u))
                        .retryWhen(reactor.util.retry.Retry.backoff(3, Duration.ofMillis(200)))
                        .map(l -> new Object[] {u, l}), Math.min(32, connectConcurrency))
                .collectSortedList((a, b) -> Integer.compare((Integer) a[0], (Integer) b[0]))
                .map(list -> list.stream().map(a -> (WximClient.Login) a[1]).toList())
                .block(Duration.ofSeconds(30 + users / 20));
        for (int i = 0; i < count; i++) {
            made.add(new WximClient(first + i, socketClient(first + i), urls.get(0), logins.get(i / connsPerUser)));
        }
        return made;
    }

    /** Application heartbeats every {@code every} per connection, spread over the interval in 100 ms slices. */
    public void startHeartbeats(Duration every) {
        long slices = Math.max(1, every.toMillis() / 100);
        AtomicInteger slice = new AtomicInteger();
        heartbeats = timer.scheduleAtFixedRate(() -> {
            int s = (int) (slice.getAndIncrement() % slices);
            List<BenchClient> snapshot;
            synchronized (clients) {
                snapshot = List.copyOf(clients);
            }
            for (BenchClient c : snapshot) {
                if (c.index % slices == s && c.isOpen()) {
                    c.heartbeat();
                }
            }
        }, 100, 100, TimeUnit.MILLISECONDS);
    }

    public int size() {
        return clients.size();
    }

    public long openCount() {
        synchronized (clients) {
            return clients.stream().filter(BenchClient::isOpen).count();
        }
    }

    @Override
    public void close() {
        if (heartbeats != null) {
            heartbeats.cancel(false);
        }
        synchronized (clients) {
            clients.forEach(BenchClient::close);
        }
        timer.shutdownNow();
        loops.disposeLater(Duration.ZERO, Duration.ofSeconds(2)).block(Duration.ofSeconds(5));
    }
}
