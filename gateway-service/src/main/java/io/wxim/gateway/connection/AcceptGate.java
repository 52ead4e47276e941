package io.wxim.gateway.connection;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.wxim.gateway.config.GatewayProperties;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.stereotype.Component;
import reactor.netty.http.server.HttpServer;

/**
 * Admission at the listening socket, ahead of {@link WebSocketEndpoint}'s 503: while
 * {@code im.gateway.ws.max-starting} connections are on their way in (accepted and not yet sent a byte, or a session
 * awaiting its welcome), the gateway stops accepting (Netty's server channel stops reading); new connections wait in the
 * kernel's accept queue ({@code im.gateway.ws.accept-backlog}), costing no CPU, and are accepted in order once half of
 * those have gone through. In a reconnect storm a client then makes one handshake instead of a series of refused ones
 * (mini-program clients cannot see a 503 or its {@code Retry-After} anyway). Bounds: an accepted connection counts as on
 * its way in for at most {@link #FIRST_BYTES} (a second), so silent connections cannot keep the gateway closed; one pause
 * lasts at most {@code im.gateway.ws.max-pause} (2 s): if chat-service is that slow, the gateway accepts again and the
 * 503 sheds the WebSocket handshakes until half are through, so {@code /api} calls on new connections wait no longer.
 */
@Component
class AcceptGate implements NettyServerCustomizer {
    /** How long an accepted connection that has not sent anything counts against the gate. */
    static final Duration FIRST_BYTES = Duration.ofSeconds(1);
    /** How often a pause is checked while it lasts (kept in force, ended after max-pause). */
    static final Duration WATCH = Duration.ofMillis(100);

    private final ConnectionRegistry registry;
    private final Duration firstBytes;
    private final int pauseAt;
    private final int resumeAt;
    private final Duration maxPause;
    private final int backlog;
    private final AtomicInteger silent = new AtomicInteger();
    private final Counter pauses;
    private final Counter overruns;
    private volatile Channel server;
    // guarded by this
    private boolean paused;
    private boolean heldOpen; // a pause ran out: accepting until the counts are down to resumeAt
    private long pauseNumber;

    @org.springframework.beans.factory.annotation.Autowired
    AcceptGate(ConnectionRegistry registry, GatewayProperties props, MeterRegistry meters) {
        this(registry, props, meters, FIRST_BYTES);
    }

    AcceptGate(ConnectionRegistry registry, GatewayProperties props, MeterRegistry meters, Duration firstBytes) {
        this.registry = registry;
        this.firstBytes = firstBytes;
        this.pauseAt = props.ws().maxStarting();
        this.resumeAt = pauseAt / 2;
        this.maxPause = props.ws().maxPause();
        this.backlog = props.ws().acceptBacklog();
        this.pauses = meters.counter("im.gateway.accept.pauses");
        this.overruns = meters.counter("im.gateway.accept.pause.overruns");
        meters.gauge("im.gateway.accept.silent", silent);
        registry.onStartingChanged(this::recheck);
    }

    @Override
    public HttpServer apply(HttpServer httpServer) {
        return httpServer
                .option(ChannelOption.SO_BACKLOG, backlog)
                .doOnBound(this::bound)
                .doOnChannelInit((observer, channel, remote) -> channel.pipeline().addFirst(new FirstBytes()));
    }

    /**
     * The application's listening socket: the first one bound (a separate management port, when configured, is bound
     * later by a child context that may share this customizer; it is never paused).
     */
    private synchronized void bound(reactor.netty.DisposableServer bound) {
        if (server == null || !server.isOpen()) {
            server = bound.channel();
            if (paused) { // paused before the socket was known (the counts can move as soon as it is bound)
                applyOn(server);
                watchPause(server, pauseNumber);
            }
        }
    }

    /** Connections accepted that have not sent a byte yet (at most {@link #FIRST_BYTES} old). */
    int silent() {
        return silent.get();
    }

    synchronized boolean isPaused() {
        return paused;
    }

    /** Pauses or resumes accepting from the current counts; called on every change of them. */
    void recheck() {
        Channel channel = server;
        synchronized (this) { // counts read under the lock: the last recheck after the last change sees it
            int onTheWay = silent.get() + registry.starting();
            boolean changed = false;
            if (heldOpen && onTheWay <= resumeAt) {
                heldOpen = false;
            }
            if (!paused && !heldOpen && onTheWay >= pauseAt) {
                paused = true;
                changed = true;
                pauses.increment();
                watchPause(channel, ++pauseNumber);
            } else if (paused && onTheWay <= resumeAt) {
                paused = false;
                changed = true;
            }
            // Keeping a pause in force (Reactor Netty's acceptor may switch reading back on) is watchPause's job.
            if (channel != null && changed) {
                applyOn(channel);
            }
        }
    }

    /**
     * Watches pause {@code number} on the server channel's loop every {@link #WATCH}: keeps reading off while it lasts
     * (Reactor Netty's acceptor switches reading back on a second after an accept error such as EMFILE, whether paused
     * or not, and no count may change meanwhile), and ends it once it has lasted {@code maxPause}.
     */
    private void watchPause(Channel channel, long number) {
        if (channel == null) {
            return;
        }
        long started = System.nanoTime();
        java.util.concurrent.atomic.AtomicReference<ScheduledFuture<?>> watch = new java.util.concurrent.atomic.AtomicReference<>();
        try {
            watch.set(channel.eventLoop().scheduleAtFixedRate(() -> {
                synchronized (this) {
                    if (!paused || pauseNumber != number) {
                        cancel(watch);
                    } else if (System.nanoTime() - started >= maxPause.toNanos()) {
                        paused = false;
                        heldOpen = true;
                        overruns.increment();
                        cancel(watch);
                        channel.config().setAutoRead(true);
                    } else if (channel.config().isAutoRead()) {
                        channel.config().setAutoRead(false);
                    }
                }
            }, WATCH.toMillis(), WATCH.toMillis(), TimeUnit.MILLISECONDS));
        } catch (RejectedExecutionException e) {
            // the server is shutting down
        }
    }

    private static void cancel(java.util.concurrent.atomic.AtomicReference<ScheduledFuture<?>> watch) {
        ScheduledFuture<?> future = watch.get();
        if (future != null) {
            future.cancel(false);
        }
    }

    /**
     * On the server channel's own loop: from another thread, epoll keeps accepting while a read is pending. Each task
     * applies the state current when it runs, so the last one wins. True also accepts again.
     */
    private void applyOn(Channel channel) {
        try {
            channel.eventLoop().execute(() -> channel.config().setAutoRead(!isPaused()));
        } catch (RejectedExecutionException e) {
            // the server is shutting down
        }
    }

    /** First in each accepted connection's pipeline until its first bytes arrive (or it closes, or times out). */
    private final class FirstBytes extends ChannelInboundHandlerAdapter {
        private ScheduledFuture<?> expiry;
        private boolean counted;

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            counted = true;
            silent.incrementAndGet();
            expiry = ctx.executor().schedule(() -> release(ctx), firstBytes.toMillis(), TimeUnit.MILLISECONDS);
            recheck();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            release(ctx);
            ctx.fireChannelRead(msg);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            release(ctx);
            ctx.fireChannelInactive();
        }

        private void release(ChannelHandlerContext ctx) { // always on the connection's event loop
            if (!counted) {
                return;
            }
            counted = false;
            if (expiry != null) {
                expiry.cancel(false);
            }
            if (!ctx.isRemoved()) {
                ctx.pipeline().remove(this);
            }
            silent.decrementAndGet();
            recheck();
        }
    }
}
