package io.wxim.gateway.connection;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.wxim.gateway.command.CommandPublisher;
import io.wxim.gateway.config.GatewayProperties;
import io.wxim.gateway.config.NodeIdentity;
import io.wxim.protocol.ClientFrame;
import io.wxim.protocol.CloseCode;
import io.wxim.protocol.Command;
import io.wxim.protocol.ErrorCode;
import io.wxim.protocol.FrameCodec;
import io.wxim.protocol.NodeMessage;
import io.wxim.protocol.ProtocolException;
import io.wxim.protocol.ServerFrame;
import io.wxim.protocol.UserRef;
import io.wxim.protocol.crypto.SecureChannelException;
import io.wxim.gateway.secure.SecureHandshake;
import io.wxim.gateway.userlimit.UserConnectionCap;
import io.wxim.gateway.userlimit.UserSendLimiter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import io.wxim.gateway.auth.RevocationCheck;
import io.wxim.gateway.auth.RevokedTokenException;
import io.wxim.gateway.auth.TokenChecks;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.ReactiveJwtDecoder;
import org.springframework.stereotype.Component;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import reactor.core.publisher.Mono;
import reactor.netty.http.websocket.WebsocketInbound;
import reactor.netty.http.websocket.WebsocketOutbound;

/**
 * A /ws session. The handshake was already authenticated by {@link WebSocketEndpoint} (no upgrade without a valid
 * token); the user comes only from the token. A session: CONNECT to chat-service and wait for its welcome; then inbound frames are validated,
 * rate-limited and handed to chat-service one at a time (keeping the sender's order), while the bounded outbound
 * queue is written to the socket. The session ends when either side ends, on idle timeout, slow consumer or token
 * expiry, each with its documented close code; cleanup always unregisters and tells chat-service.
 */
@Component
public class GatewayWebSocketHandler {
    private static final Logger log = LoggerFactory.getLogger(GatewayWebSocketHandler.class);
    /** Bound on sending the close frame; a client that reads nothing would otherwise keep the socket. */
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(3);

    private final ConnectionRegistry registry;
    private final CommandPublisher commands;
    private final FrameCodec codec;
    private final GatewayProperties.Ws props;
    private final String node;
    /** Random per process start: connection ids never repeat across restarts of a node with a fixed id. */
    private final String bootId;
    private final Counter framesIn;
    private final Counter rateLimited;
    private final MeterRegistry meters;
    private final io.micrometer.core.instrument.Timer commandLatency;
    private final ReactiveJwtDecoder tokens;
    private final RevocationCheck revocations;
    private final SecureHandshake secureHandshake;
    private final Counter secureFailures;
    private final UserSendLimiter userRate;
    private final UserConnectionCap userConnections;

    public GatewayWebSocketHandler(ConnectionRegistry registry, CommandPublisher commands, FrameCodec codec,
                                   GatewayProperties props, NodeIdentity node, MeterRegistry meters,
                                   ReactiveJwtDecoder tokens, RevocationCheck revocations, SecureHandshake secureHandshake,
                                   UserSendLimiter userRate, UserConnectionCap userConnections) {
        this.bootId = node.boot();
        this.userRate = userRate;
        this.userConnections = userConnections;
        this.secureHandshake = secureHandshake;
        this.secureFailures = meters.counter("im.gateway.secure.failures");
        this.tokens = tokens;
        this.revocations = revocations;
        this.registry = registry;
        this.commands = commands;
        this.codec = codec;
        this.props = props.ws();
        this.node = node.id();
        this.framesIn = meters.counter("im.gateway.frames.in");
        this.rateLimited = meters.counter("im.gateway.rate_limited");
        this.meters = meters;
        this.commandLatency = io.micrometer.core.instrument.Timer.builder("im.gateway.command.latency")
                .description("from handing a frame to chat-service until its answer (or timeout)")
                .publishPercentileHistogram()
                .register(meters);
    }

    /**
     * Serves one upgraded connection of the user the verified token {@code jwt} names ({@link WebSocketEndpoint}), on
     * Reactor Netty's own inbound (frames aggregated) and outbound, from {@code remote}.
     */
    public Mono<Void> serve(WebsocketInbound in, WebsocketOutbound out, InetSocketAddress remote, Jwt jwt) {
        UserRef user = new UserRef(jwt.getSubject(), jwt.getClaimAsString("name"), jwt.getClaimAsString("picture"));
        String connId = node + "." + bootId + "." + Long.toString(registry.nextConnNumber(), 36);
        ConnectionRegistry.Admission admission = registry.admit(connId, user, props.outboundQueue(), props.maxConnectionsPerUser());
        Connection conn = admission.connection();
        if (conn == null) {
            CloseCode refusal = admission.refusal();
            if (refusal == CloseCode.TOO_MANY_CONNECTIONS) {
                log.warn("too many connections: userId={} node={}", user.id(), node);
            } else if (refusal == CloseCode.TRY_AGAIN) { // full: its token check overlapped the last slots going
                log.warn("gateway full, connection refused: userId={} node={} capacity={}", user.id(), node, registry.capacity());
            }
            countClose(refusal);
            return close(out, refusal);
        }
        String sid = jwt.getClaimAsString("sid");
        java.time.Instant issuedAt = jwt.getIssuedAt(); // the session keeps these, not the token (a connection lives long)
        conn.authenticate(sid, jwt.getExpiresAt());
        log.info("connection opened: userId={} connId={}", user.id(), connId);
        RateLimiter limiter = new RateLimiter(props.ratePerSecond(), props.rateBurst(), System.nanoTime());

        // Text frames wrap the frame's bytes (shared by every local member of a room for a room message) without a copy;
        // the writer polls the connection's queue directly (see Connection#writeTo).
        Mono<Void> output = conn.writeTo(out);
        // The cluster-wide cap first (nothing was started for a refused connection). Revocation is checked again now
        // that the connection is registered: a revocation published between the handshake check and the registration
        // found no connection to close.
        // The start-up chain is assembled when subscribed (defer), so the session does not keep its operators for
        // the connection's life once it is done (they were ~0.5 KB per idle connection).
        Mono<Void> input = Mono.defer(() -> userConnections.acquire(user.id(), connId)
                        .flatMap(admitted -> {
                            if (admitted) {
                                return Mono.<Void>empty();
                            }
                            log.warn("too many connections across gateways: userId={} node={}", user.id(), node);
                            return Mono.<Void>error(new TooManyConnectionsException());
                        })
                        .then(revocations.check(user.id(), sid, issuedAt))
                        .then(start(conn)))
                .thenMany(in.receiveFrames().doOnNext(frame -> conn.heard(System.nanoTime()))) // idle: ConnectionSweeper
                // prefetch 0: one frame at a time with no queue (the default prefetch kept a 32-slot padded queue per connection)
                .concatMap(message -> onMessage(conn, limiter, message, remote), 0)
                .then()
                .onErrorResume(e -> {
                    CloseCode code = closeCodeFor(e);
                    if (code == null) {
                        return Mono.error(e);
                    }
                    conn.close(code); // the closer below sends it; the race ends when the socket closes
                    return Mono.never();
                });
        // The close frame (with its code) must go out before the session's streams are cancelled: cancelling them
        // makes Reactor Netty send its own, code-less close first. So the close runs detached from the race
        // (fromFuture with cancellation suppressed) and the race ends when the inbound completes as the socket
        // closes, or CLOSE_TIMEOUT later at the latest.
        Mono<Void> closer = conn.closeRequested()
                .doOnNext(this::countClose)
                .flatMap(code -> Mono.fromFuture(() -> close(out, code).toFuture(), true)
                        .onErrorResume(e -> Mono.empty()))
                .then(Mono.delay(CLOSE_TIMEOUT))
                .then();
        // Idle timeout (4004) and token expiry (4003) are ConnectionSweeper's: it calls conn.close, the closer sends it.
        return Mono.firstWithSignal(input, output, closer)
                .onErrorResume(e -> {
                    log.debug("session ended with error: connId={} error={}", connId, e.toString());
                    return Mono.empty();
                })
                .then(Mono.defer(() -> cleanup(conn)))
                .doOnCancel(() -> cleanup(conn).subscribe()); // cancelled by the server: cleanup must still run
    }

    private void countClose(CloseCode code) {
        meters.counter("im.gateway.closes", "code", Integer.toString(code.code())).increment();
    }

    /** CONNECT; completes when chat-service welcomed the connection (subscriptions active), else fails. */
    private Mono<Void> start(Connection conn) {
        long ref = conn.beginCommand();
        return Mono.defer(() -> {
                    registry.startBegan();
                    return commands.publish(new Command(Command.Event.CONNECT, node, conn.id(), ref, conn.user(), null))
                            .then(conn.awaitCommand(props.commandTimeout()));
                })
                .doFinally(signal -> registry.startEnded())
                .onErrorMap(e -> new SessionStartException())
                .flatMap(kind -> kind == NodeMessage.Kind.SUBSCRIBE ? Mono.<Void>empty() : Mono.error(new SessionStartException()));
    }

    private Mono<Void> onMessage(Connection conn, RateLimiter limiter, WebSocketFrame message, InetSocketAddress remote) {
        if (!(message instanceof TextWebSocketFrame) && !(message instanceof BinaryWebSocketFrame)) {
            return Mono.empty(); // ping/pong (Reactor Netty answers pings itself); close frames end the inbound
        }
        framesIn.increment();
        boolean secure = conn.isSecure();
        if (message instanceof BinaryWebSocketFrame) {
            if (secure) {
                return secureFailure(conn);
            }
            return limiter.tryAcquire(System.nanoTime())
                    ? reject(conn, ServerFrame.Error.of(null, null, ErrorCode.BAD_REQUEST, "binary frames are not supported"))
                    : tooManyFrames(conn, null);
        }
        String text;
        try {
            text = strictUtf8(message.content());
        } catch (java.nio.charset.CharacterCodingException e) {
            log.info("text frame is not UTF-8, closing: userId={} connId={}", conn.user().id(), conn.id());
            conn.close(CloseCode.INVALID_PAYLOAD); // RFC 6455 8.1: fail the connection with 1007
            return Mono.empty();
        }
        if (secure) {
            try {
                text = conn.openInbound(text);
            } catch (SecureChannelException e) {
                return secureFailure(conn);
            }
        }
        // Every frame counts, also one that turns out invalid: a flood of bad frames costs parsing and answers too.
        if (!limiter.tryAcquire(System.nanoTime())) {
            return tooManyFrames(conn, text);
        }
        ClientFrame frame;
        try {
            frame = codec.decodeClient(text);
        } catch (ProtocolException e) {
            FrameCodec.FrameIds ids = codec.idsOf(text); // echo rid/cmid so the client knows which request failed
            return reject(conn, ServerFrame.Error.of(ids.rid(), ids.cmid(), e.code(), e.getMessage()));
        }
        if (frame instanceof ClientFrame.Ping ping) {
            conn.deliver(codec.encode(new ServerFrame.Pong(ping.rid(), System.currentTimeMillis())));
            return Mono.empty();
        }
        if (frame instanceof ClientFrame.Auth auth) {
            return reauthenticate(conn, auth);
        }
        if (frame instanceof ClientFrame.Secure handshake) {
            return secureHandshake.handle(conn, handshake, remote == null ? "unknown" : remote.getHostString());
        }
        if (frame instanceof ClientFrame.Send send) {
            return userRate.tryAcquire(conn.user().id()).flatMap(decision -> decision.allowed() ? forward(conn, frame)
                    : reject(conn, ServerFrame.Error.rateLimited(send.rid(), send.cmid(),
                            "too many messages from this user, retry later", decision.retryAfterMillis())));
        }
        return forward(conn, frame);
    }

    /**
     * In-band refresh: a valid, unrevoked token of the same user replaces the connection's token (its session and
     * expiry), so a long session never has to reconnect. A token that could not be checked (the JWK set) is
     * {@code unavailable} (retry); anything else is {@code unauthorized}; the connection keeps its current token until
     * it expires.
     */
    private Mono<Void> reauthenticate(Connection conn, ClientFrame.Auth auth) {
        return tokens.decode(auth.token())
                .filter(jwt -> conn.user().id().equals(jwt.getSubject()))
                .flatMap(jwt -> {
                    conn.authenticate(jwt.getClaimAsString("sid"), jwt.getExpiresAt());
                    long expiresAt = jwt.getExpiresAt() == null ? 0 : jwt.getExpiresAt().toEpochMilli();
                    conn.deliver(codec.encode(new ServerFrame.Authed(auth.rid(), expiresAt)));
                    // again after switching: a revocation of the new session published meanwhile found the old one
                    return revocations.check(jwt).thenReturn(true)
                            .onErrorResume(e -> {
                                conn.close(CloseCode.SESSION_REVOKED);
                                return Mono.just(true);
                            });
                })
                .onErrorResume(TokenChecks::notChecked, e -> reject(conn, ServerFrame.Error.of(auth.rid(), null,
                        ErrorCode.UNAVAILABLE, "the token could not be checked now; retry shortly")).thenReturn(true))
                .onErrorResume(e -> Mono.just(false))
                .defaultIfEmpty(false)
                .flatMap(ok -> ok ? Mono.<Void>empty() : reject(conn, ServerFrame.Error.of(auth.rid(), null,
                        ErrorCode.UNAUTHORIZED, "token refused: invalid, expired, revoked or not yours")));
    }

    /**
     * Hands one frame to chat-service and waits for its reply, so a connection never has two commands in flight.
     * While the gateway drains no new command starts: {@code unavailable}, and the client retries after reconnecting.
     */
    private Mono<Void> forward(Connection conn, ClientFrame frame) {
        String cmid = cmidOf(frame);
        if (registry.isDraining()) {
            return reject(conn, ServerFrame.Error.of(frame.rid(), cmid, ErrorCode.UNAVAILABLE,
                    "this gateway is shutting down; reconnect and retry"));
        }
        long ref = conn.beginCommand();
        io.micrometer.core.instrument.Timer.Sample sample = io.micrometer.core.instrument.Timer.start();
        return commands.publish(new Command(Command.Event.FRAME, node, conn.id(), ref, conn.user(), frame))
                .then(conn.awaitCommand(props.commandTimeout()))
                .doFinally(signal -> sample.stop(commandLatency))
                .then()
                .onErrorResume(e -> reject(conn, ProtocolErrorMapper.toFrame(e, frame.rid(), cmid, conn.id())));
    }

    /**
     * The text of a text frame, refusing bytes that are not UTF-8 (Netty's frame decoder here does not validate them, and
     * a lenient decode would turn them into replacement characters).
     */
    private static String strictUtf8(ByteBuf payload) throws java.nio.charset.CharacterCodingException {
        return java.nio.charset.StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
                .decode(payload.nioBuffer()).toString();
    }

    /** {@code rate_limited} for a frame over the per-connection rate, echoing its ids when it has valid ones. */
    private Mono<Void> tooManyFrames(Connection conn, String text) {
        rateLimited.increment();
        FrameCodec.FrameIds ids = text == null ? new FrameCodec.FrameIds(null, null) : codec.idsOf(text);
        return reject(conn, ServerFrame.Error.of(ids.rid(), ids.cmid(), ErrorCode.RATE_LIMITED, "too many frames, slow down"));
    }

    private static String cmidOf(ClientFrame frame) {
        return frame instanceof ClientFrame.Send send ? send.cmid() : null;
    }

    /**
     * A sealed frame did not open (tampered, replayed, reordered, unsealed or binary): the connection is closed with
     * 4005 and nothing more from it is processed. One reason for every cause, so a peer learns nothing from it.
     */
    private Mono<Void> secureFailure(Connection conn) {
        secureFailures.increment();
        log.info("secure frame refused: userId={} connId={}", conn.user().id(), conn.id());
        conn.close(CloseCode.SECURE_CHANNEL_FAILED);
        return Mono.empty();
    }

    private Mono<Void> reject(Connection conn, ServerFrame.Error error) {
        conn.deliver(codec.encode(error));
        return Mono.empty();
    }

    private Mono<Void> cleanup(Connection conn) {
        if (!registry.close(conn)) {
            return Mono.empty();
        }
        CloseCode code = conn.closedWith(); // why the server closed it (4002: a slow consumer), else the client or network
        log.info("connection closed: userId={} connId={} by={}", conn.user().id(), conn.id(),
                code == null ? "client-or-network" : "server code=" + code.code());
        return userConnections.release(conn.user().id(), conn.id()).then(commands.publishDisconnect(new Command(Command.Event.DISCONNECT, node, conn.id(), 0, conn.user(), null))
                .onErrorResume(e -> {
                    log.warn("disconnect not published, the user stays online in chat-service: userId={} connId={} error={}",
                            conn.user().id(), conn.id(), e.toString());
                    return Mono.empty();
                }));
    }

    private static Mono<Void> close(WebsocketOutbound out, CloseCode code) {
        return out.sendClose(code.code(), code.reason());
    }

    /**
     * The close code for an error that ends the inbound side: no welcome (4000), or a frame Netty
     * refused: an oversized frame or fragmented message (1009), invalid UTF-8 (1007), bad framing (1002). Null for
     * anything else.
     */
    private static CloseCode closeCodeFor(Throwable e) {
        if (e instanceof SessionStartException) {
            return CloseCode.TRY_AGAIN;
        }
        if (e instanceof TooManyConnectionsException) {
            return CloseCode.TOO_MANY_CONNECTIONS;
        }
        if (e instanceof RevokedTokenException) {
            return CloseCode.SESSION_REVOKED; // the re-check after registration
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof CorruptedWebSocketFrameException c) {
                return CloseCode.of(c.closeStatus().code());
            }
            if (t instanceof TooLongFrameException) {
                return CloseCode.TOO_BIG;
            }
        }
        return null;
    }

    /** The user already holds the cluster-wide number of connections. */
    private static final class TooManyConnectionsException extends RuntimeException {
        TooManyConnectionsException() {
            super("too many connections for this user", null, false, false);
        }
    }

    /** The session could not start: chat-service did not welcome the connection. */
    private static final class SessionStartException extends RuntimeException {
        SessionStartException() {
            super("session start failed", null, false, false);
        }
    }
}
