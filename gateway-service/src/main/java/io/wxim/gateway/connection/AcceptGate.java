package io.wxim.gateway.connection;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.wxim.gateway.config.GatewayProperties;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.stereotype.Component;
import reactor.netty.http.server.HttpServer;

/**
 * Admission at the listening socket, ahead of {@link DrainingUpgradeFilter}'s 503: while
 * {@code im.gateway.ws.max-starting} connections are on their way in (accepted and not yet sent a byte, or a session
 * awaiting its welcome), the gateway stops accepting (Netty's server channel stops reading); new connections wait in the
 * kernel's accept queue, costing no CPU, and are accepted in order once half of those have gone through. In a reconnect
 * storm a client then makes one handshake instead of a series of refused ones (mini-program clients cannot see a 503 or
 * its {@code Retry-After} anyway). An accepted connection counts as on its way in for at most {@link #FIRST_BYTES} (a second), so
 * silent connections cannot keep the gateway closed. The 503 stays for what arrives on connections already open.
 */
@Component
class AcceptGate implements NettyServerCustomizer {
    /** How long an accepted connection that has not sent anything counts against the gate. */
    static final Duration FIRST_BYTES = Duration.ofSeconds(1);

    private final ConnectionRegistry registry;
    private final Duration firstBytes;
    private final int pauseAt;
    private final int resumeAt;
    private final AtomicInteger silent = new AtomicInteger();
    private final Counter pauses;
    private volatile Channel server;
    private boolean paused; // guarded by this

    @org.springframework.beans.factory.annotation.Autowired
    AcceptGate(ConnectionRegistry registry, GatewayProperties props, MeterRegistry meters) {
        this(registry, props, meters, FIRST_BYTES);
    }

    AcceptGate(ConnectionRegistry registry, GatewayProperties props, MeterRegistry meters, Duration firstBytes) {
        this.registry = registry;
        this.firstBytes = firstBytes;
        this.pauseAt = props.ws().maxStarting();
        this.resumeAt = pauseAt / 2;
        this.pauses = meters.counter("im.gateway.accept.pauses");
        meters.gauge("im.gateway.accept.silent", silent);
        registry.onStartingChanged(this::recheck);
    }

    @Override
    public HttpServer apply(HttpServer httpServer) {
        return httpServer
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
            if (!paused && onTheWay >= pauseAt) {
                paused = true;
                pauses.increment();
            } else if (paused && onTheWay <= resumeAt) {
                paused = false;
            } else {
                return;
            }
            if (channel != null) {
                // On the server channel's own loop: from another thread, epoll keeps accepting while a read is pending.
                // Each task applies the state current when it runs, so the last one wins. True also accepts again.
                channel.eventLoop().execute(() -> channel.config().setAutoRead(!isPaused()));
            }
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
            expiry.cancel(false);
            if (!ctx.isRemoved()) {
                ctx.pipeline().remove(this);
            }
            silent.decrementAndGet();
            recheck();
        }
    }
}
