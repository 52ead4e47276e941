package io.wxim.gateway.connection;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.wxim.gateway.config.GatewayProperties;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.reactor.netty.NettyRouteProvider;
import io.wxim.gateway.auth.TokenChecks;
import org.springframework.security.oauth2.jwt.BadJwtException;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.ReactiveJwtDecoder;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;
import reactor.netty.http.server.HttpServerRoutes;
import reactor.netty.http.server.WebsocketServerSpec;
import reactor.netty.http.websocket.WebsocketInbound;
import reactor.netty.http.websocket.WebsocketOutbound;

/**
 * The {@code /ws} handshake, served by Reactor Netty directly (a route ahead of WebFlux): a WebFlux WebSocket keeps
 * the whole HTTP exchange (request and response headers, filter and security chains, observation context) alive for
 * as long as the connection lasts, ~10 KB of heap per idle connection, and runs every handshake through those chains.
 * Here a handshake is checked in this order, each refusal before any upgrade:
 * <ol>
 *   <li>503 {@code Retry-After: 1} while the gateway drains, while {@code im.gateway.ws.max-starting} sessions await
 *   their welcome (load shedding behind {@link AcceptGate}, ADR-20), or while it holds {@code im.gateway.ws.max-connections}
 *   ({@link io.wxim.gateway.config.ConnectionCapacity});</li>
 *   <li>405 for a method other than GET;</li>
 *   <li>401 without a valid access token: {@code Authorization: Bearer}, or the {@code access_token} query parameter
 *   for browsers (RS256 against auth-service's JWKS, audience, expiry, subject, revocation: the gateway's
 *   {@link ReactiveJwtDecoder}); 400 for two tokens; 503 if the token cannot be checked now (JWKS unreachable);</li>
 *   <li>403 for an {@code Origin} header that is neither same-origin nor in {@code im.gateway.allowed-origins};</li>
 *   <li>400 for a request that is not a WebSocket upgrade.</li>
 * </ol>
 * The session then runs with the token's identity only. A token in the query string stays in the request line Reactor
 * Netty keeps for the connection (mini-programs send the header, which is dropped). A handshake that fails because its client has gone (a storm's
 * client that gave up while queued) is logged at DEBUG: routine, not a server error.
 */
@Component
class WebSocketEndpoint implements NettyRouteProvider {
    private static final Logger log = LoggerFactory.getLogger(WebSocketEndpoint.class);
    private static final Pattern BEARER = Pattern.compile("^Bearer (?<token>[a-zA-Z0-9-._~+/]+=*)$",
            Pattern.CASE_INSENSITIVE);
    private static final byte[] DRAINING = problem(503, "Service Unavailable", "this gateway is shutting down; connect again");
    private static final byte[] BUSY = problem(503, "Service Unavailable",
            "this gateway is busy starting other sessions; connect again shortly");
    private static final byte[] FULL = problem(503, "Service Unavailable",
            "this gateway holds as many connections as it can; connect again shortly");
    private static final byte[] UNCHECKED = problem(503, "Service Unavailable",
            "the token cannot be checked right now; connect again shortly");
    private static final byte[] FORBIDDEN = problem(403, "Forbidden", "origin not allowed");
    private static final byte[] NOT_UPGRADE = problem(400, "Bad Request", "not a WebSocket upgrade");
    private static final byte[] TWO_TOKENS = problem(400, "Bad Request", "more than one bearer token");
    private static final byte[] BAD_QUERY = problem(400, "Bad Request", "the query string does not decode");
    private static final byte[] INTERNAL = problem(500, "Internal Server Error", "the handshake failed");
    private static final String INVALID_TOKEN =
            "Bearer error=\"invalid_token\", error_description=\"invalid, expired or revoked token\"";

    private final ConnectionRegistry registry;
    private final Counter refusedDraining;
    private final Counter refusedBusy;
    private final Counter refusedFull;
    private final Sessions sessions;
    private final ReactiveJwtDecoder tokens;
    private final String path;
    private final int maxStarting;
    private final int maxFrame;
    private final List<String> allowedOrigins;

    @Autowired
    WebSocketEndpoint(ConnectionRegistry registry, GatewayWebSocketHandler handler, ReactiveJwtDecoder tokens,
                      GatewayProperties props, MeterRegistry meters) {
        this(registry, handler::serve, tokens, props, meters);
    }

    /** What runs an upgraded connection: {@link GatewayWebSocketHandler#serve}. */
    @FunctionalInterface
    interface Sessions {
        Mono<Void> serve(WebsocketInbound in, WebsocketOutbound out, InetSocketAddress remote, Jwt jwt);
    }

    WebSocketEndpoint(ConnectionRegistry registry, Sessions sessions,
                      ReactiveJwtDecoder tokens, GatewayProperties props, MeterRegistry meters) {
        this.refusedDraining = refusals(meters, "draining");
        this.refusedBusy = refusals(meters, "busy");
        this.refusedFull = refusals(meters, "full");
        this.registry = registry;
        this.sessions = sessions;
        this.tokens = tokens;
        this.path = props.ws().path();
        this.maxStarting = props.ws().maxStarting();
        this.maxFrame = (int) props.ws().maxFrameSize().toBytes();
        this.allowedOrigins = props.allowedOrigins().stream().map(WebSocketEndpoint::trimSlash).toList();
    }

    private static Counter refusals(MeterRegistry meters, String reason) {
        return meters.counter("im.gateway.handshakes.refused", "reason", reason);
    }

    @Override
    public HttpServerRoutes apply(HttpServerRoutes routes) {
        return routes.route(request -> path.equals(rawPath(request.uri())), this::handshake);
    }

    /**
     * The request target's path as sent, without query or fragment (not {@code fullPath()}: it parses the URI and throws
     * on a bad escape such as {@code /api/%zz}, which would answer 500 for every path, before WebFlux's 400).
     */
    static String rawPath(String uri) {
        int end = uri.length();
        int query = uri.indexOf('?');
        int fragment = uri.indexOf('#');
        if (query >= 0) {
            end = query;
        }
        if (fragment >= 0 && fragment < end) {
            end = fragment;
        }
        return uri.substring(0, end);
    }

    private Mono<Void> handshake(HttpServerRequest request, HttpServerResponse response) {
        if (registry.isDraining()) {
            refusedDraining.increment();
            return refuse(response, HttpResponseStatus.SERVICE_UNAVAILABLE, DRAINING);
        }
        if (registry.starting() >= maxStarting) {
            refusedBusy.increment();
            return refuse(response, HttpResponseStatus.SERVICE_UNAVAILABLE, BUSY);
        }
        if (registry.isFull()) {
            refusedFull.increment();
            return refuse(response, HttpResponseStatus.SERVICE_UNAVAILABLE, FULL);
        }
        if (!HttpMethod.GET.equals(request.method())) {
            response.header(HttpHeaderNames.ALLOW, "GET");
            return refuse(response, HttpResponseStatus.METHOD_NOT_ALLOWED, null);
        }
        String token;
        try {
            token = bearerToken(request);
        } catch (Refused refused) {
            if (refused.status == HttpResponseStatus.UNAUTHORIZED) {
                response.header(HttpHeaderNames.WWW_AUTHENTICATE, INVALID_TOKEN);
            }
            return refuse(response, refused.status, refused.body);
        }
        if (token == null) {
            response.header(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer");
            return refuse(response, HttpResponseStatus.UNAUTHORIZED, null);
        }
        return tokens.decode(token)
                .map(jwt -> Mono.defer(() -> upgrade(request, response, jwt))) // its errors are not the token's
                .switchIfEmpty(Mono.fromSupplier(() -> refusal(response, new BadJwtException("no token"))))
                .onErrorResume(e -> Mono.just(refusal(response, e)))
                .flatMap(outcome -> outcome)
                .onErrorResume(e -> clientGone(request), e -> {
                    log.debug("handshake abandoned by the client: {}", e.toString());
                    return Mono.empty();
                });
    }

    /**
     * 401 for a token that is invalid, expired or revoked; 503 when it could not be checked (auth-service's JWKS not
     * reachable; revocation fails open when Redis does not answer); 500 for anything else (a bug: logged).
     */
    private static Mono<Void> refusal(HttpServerResponse response, Throwable e) {
        if (e instanceof BadJwtException) {
            response.header(HttpHeaderNames.WWW_AUTHENTICATE, INVALID_TOKEN);
            return refuse(response, HttpResponseStatus.UNAUTHORIZED, null);
        }
        if (TokenChecks.notChecked(e)) {
            log.debug("token could not be checked: error={}", e.toString()); // counted: im.gateway.tokens.unchecked
            return refuse(response, HttpResponseStatus.SERVICE_UNAVAILABLE, UNCHECKED);
        }
        log.error("token check failed", e);
        return refuse(response, HttpResponseStatus.INTERNAL_SERVER_ERROR, INTERNAL);
    }

    private Mono<Void> upgrade(HttpServerRequest request, HttpServerResponse response, Jwt jwt) {
        String origin = request.requestHeaders().get(HttpHeaderNames.ORIGIN);
        if (origin != null && !allowedOrigin(origin) && !sameOrigin(origin, request.scheme(), request.hostName(),
                request.hostPort())) {
            return refuse(response, HttpResponseStatus.FORBIDDEN, FORBIDDEN);
        }
        if (!request.requestHeaders().containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)
                || !request.requestHeaders().containsValue(HttpHeaderNames.CONNECTION,
                HttpHeaderValues.UPGRADE, true) || !request.requestHeaders().contains(HttpHeaderNames.SEC_WEBSOCKET_KEY)) {
            return refuse(response, HttpResponseStatus.BAD_REQUEST, NOT_UPGRADE);
        }
        InetSocketAddress remote = request.remoteAddress();
        return response.sendWebsocket((in, out) -> {
            // Handshake done: Reactor Netty keeps the upgrade request (and its headers, the token's included) for the
            // connection's life; nothing reads them any more. No session adapter either: the handler works on Reactor
            // Netty's inbound and outbound (Spring's adapter cost a writer queue and ~1 KB per connection).
            in.headers().clear();
            return sessions.serve(in.aggregateFrames(maxFrame), out, remote, jwt);
        }, WebsocketServerSpec.builder().maxFramePayloadLength(maxFrame).build());
    }

    /**
     * The bearer token of {@code Authorization} or of the {@code access_token} query parameter, null if neither (the
     * rules of Spring Security's {@code ServerBearerTokenAuthenticationConverter} with the query parameter allowed).
     * {@link Refused}: 400 for two tokens or a query string that does not decode, 401 for a malformed token.
     */
    static String bearerToken(HttpServerRequest request) {
        String header = request.requestHeaders().get(HttpHeaderNames.AUTHORIZATION);
        List<String> query;
        try {
            query = new QueryStringDecoder(request.uri(), StandardCharsets.UTF_8, true, 64, true).parameters()
                    .getOrDefault("access_token", List.of());
        } catch (IllegalArgumentException e) {
            throw new Refused(HttpResponseStatus.BAD_REQUEST, BAD_QUERY);
        }
        boolean bearerHeader = header != null && header.regionMatches(true, 0, "bearer", 0, 6);
        if (query.size() > 1 || bearerHeader && !query.isEmpty()) {
            throw new Refused(HttpResponseStatus.BAD_REQUEST, TWO_TOKENS);
        }
        String token = bearerHeader ? header : query.isEmpty() ? null : "Bearer " + query.get(0);
        if (token == null) {
            return null;
        }
        Matcher matcher = BEARER.matcher(token);
        if (!matcher.matches()) {
            throw new Refused(HttpResponseStatus.UNAUTHORIZED, null);
        }
        return matcher.group("token");
    }

    /** A handshake refused before its token is verified. */
    static final class Refused extends RuntimeException {
        final HttpResponseStatus status;
        final byte[] body;

        Refused(HttpResponseStatus status, byte[] body) {
            super(status.toString(), null, false, false);
            this.status = status;
            this.body = body;
        }
    }

    private boolean allowedOrigin(String origin) {
        String trimmed = trimSlash(origin);
        return allowedOrigins.stream().anyMatch(o -> o.equals("*") || o.equalsIgnoreCase(trimmed));
    }

    /** Whether {@code origin} is the request's own scheme, host and port (default ports filled in). */
    static boolean sameOrigin(String origin, String scheme, String host, int port) {
        URI parsed;
        try {
            parsed = URI.create(origin);
        } catch (IllegalArgumentException e) {
            return false;
        }
        if (parsed.getScheme() == null || parsed.getHost() == null) {
            return false;
        }
        return parsed.getScheme().equalsIgnoreCase(scheme) && parsed.getHost().equalsIgnoreCase(host)
                && portOf(parsed.getScheme(), parsed.getPort()) == portOf(scheme, port);
    }

    private static int portOf(String scheme, int port) {
        if (port > 0) {
            return port;
        }
        return "https".equalsIgnoreCase(scheme) || "wss".equalsIgnoreCase(scheme) ? 443 : 80;
    }

    /** Whether the connection under a failed handshake is closed (its client gave up). */
    static boolean clientGone(Object request) {
        return request instanceof reactor.netty.Connection connection && !connection.channel().isActive();
    }

    private static Mono<Void> refuse(HttpServerResponse response, HttpResponseStatus status, byte[] body) {
        response.status(status);
        if (status == HttpResponseStatus.SERVICE_UNAVAILABLE) {
            response.header(HttpHeaderNames.RETRY_AFTER, "1");
        }
        if (body == null) {
            return response.send().then();
        }
        return response.header(HttpHeaderNames.CONTENT_TYPE, "application/problem+json")
                .sendByteArray(Mono.just(body)).then();
    }

    private static byte[] problem(int status, String title, String detail) {
        return ("{\"type\":\"about:blank\",\"title\":\"" + title + "\",\"status\":" + status + ",\"detail\":\"" + detail
                + "\"}").getBytes(StandardCharsets.UTF_8);
    }

    private static String trimSlash(String origin) {
        return origin.endsWith("/") ? origin.substring(0, origin.length() - 1) : origin;
    }
}
