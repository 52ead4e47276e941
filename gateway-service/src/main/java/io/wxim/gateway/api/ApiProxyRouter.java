package io.wxim.gateway.api;

import io.wxim.gateway.config.GatewayProperties;
import java.net.URI;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.io.buffer.DataBuffer;
import io.wxim.gateway.auth.RevokedTokenException;
import io.wxim.gateway.auth.TokenChecks;
import org.springframework.http.HttpHeaders;
import org.springframework.security.oauth2.jwt.BadJwtException;
import org.springframework.security.oauth2.jwt.ReactiveJwtDecoder;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.web.reactive.function.BodyInserters;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.client.WebClientRequestException;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

/**
 * The single edge for {@code /api/**}: {@code /api/{name}/...} is streamed to the service configured under
 * {@code im.gateway.routes.{name}} (bodies are never buffered whole), with hop-by-hop headers removed and a bound on
 * the time to response headers. Unknown routes get 404, an unreachable service 502, a slow one 504 (ProblemDetail).
 * A bearer token is checked here first, except on the {@code auth} route ({@link #SELF_CHECKED}): one that could not be
 * checked in time gets 503 (never passed on), one that is invalid, expired or revoked (logout, ban, refresh reuse)
 * 401. What passes is passed on as it is, and each service verifies it again.
 */
@Configuration(proxyBeanMethods = false)
class ApiProxyRouter {
    private static final Logger log = LoggerFactory.getLogger(ApiProxyRouter.class);
    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-authenticate",
            "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "host", "content-length");
    /**
     * Routes whose service checks a token with its own keys and reads it only where it needs one: auth-service (login
     * and refresh ignore an old access token a client sends along; logout and profile verify it themselves). Every
     * other service is a resource server that fetches auth-service's JWK set for a key id it does not hold: an invalid
     * token stops here (401, as the service would answer), so made-up key ids never reach it. On a route listed here
     * the gateway does not look at the token at all.
     */
    static final Set<String> SELF_CHECKED = Set.of("auth");
    private static final String INVALID_TOKEN =
            "Bearer error=\"invalid_token\", error_description=\"invalid, expired or revoked token\"";
    /**
     * What a client says about where its request came from is not passed on: the gateway states the address it saw
     * ({@code X-Forwarded-For}, one entry; behind a proxy, the one {@code TrustedProxyHeaders} took from it).
     */
    private static final Set<String> CLIENT_FORWARDING = Set.of("forwarded", "x-forwarded-for", "x-forwarded-host",
            "x-forwarded-proto", "x-forwarded-port", "x-forwarded-prefix", "x-real-ip");

    @Bean
    RouterFunction<ServerResponse> apiRoutes(WebClient.Builder builder, GatewayProperties props, ReactiveJwtDecoder tokens,
                                             io.micrometer.core.instrument.MeterRegistry meters) {
        WebClient client = builder.build();
        return RouterFunctions.route(request -> request.path().startsWith("/api/"),
                request -> refusal(tokens, request).switchIfEmpty(Mono.defer(() -> proxy(client, props, meters, request))));
    }

    /** The route a request names: {@code history} for {@code /api/history/...}. */
    private static String routeOf(ServerRequest request) {
        String rest = request.uri().getRawPath().substring("/api/".length());
        return rest.contains("/") ? rest.substring(0, rest.indexOf('/')) : rest;
    }

    /**
     * 401 for a bearer token that is invalid, expired or revoked; 503 (with {@code Retry-After}) for one that could not
     * be checked in time (the JWK set: passing it on would let a revoked token through, as the services check only
     * signatures); nothing (empty) otherwise: no token, one that passed, or a route {@link #SELF_CHECKED}.
     */
    private static Mono<ServerResponse> refusal(ReactiveJwtDecoder tokens, ServerRequest request) {
        String authorization = request.headers().firstHeader(HttpHeaders.AUTHORIZATION);
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)
                || SELF_CHECKED.contains(routeOf(request))) {
            return Mono.empty();
        }
        return tokens.decode(authorization.substring(7).strip())
                .then(Mono.<ServerResponse>empty())
                .onErrorResume(RevokedTokenException.class, e -> unauthorized("the session has ended; log in again"))
                .onErrorResume(TokenChecks::notChecked, e -> {
                    log.debug("api request refused, its token could not be checked: error={}", e.getMessage());
                    return ServerResponse.status(HttpStatus.SERVICE_UNAVAILABLE).header(HttpHeaders.RETRY_AFTER, "1")
                            .contentType(MediaType.APPLICATION_PROBLEM_JSON)
                            .bodyValue(ProblemDetail.forStatusAndDetail(HttpStatus.SERVICE_UNAVAILABLE,
                                    "the token could not be checked; retry shortly"));
                })
                .onErrorResume(BadJwtException.class, e -> unauthorized("the token is invalid or expired"))
                .onErrorResume(e -> {
                    log.error("api token check failed", e); // neither a verdict nor "not checked": a bug
                    return problem(HttpStatus.INTERNAL_SERVER_ERROR, "the token could not be checked");
                });
    }

    private Mono<ServerResponse> proxy(WebClient client, GatewayProperties props,
                                       io.micrometer.core.instrument.MeterRegistry meters, ServerRequest request) {
        String path = request.uri().getRawPath();
        String name = routeOf(request);
        String base = props.routes().get(name);
        if (base == null) {
            return problem(HttpStatus.NOT_FOUND, "no such API");
        }
        String query = request.uri().getRawQuery();
        URI target = URI.create(base.replaceAll("/+$", "") + path + (query == null ? "" : "?" + query));
        return client.method(request.method())
                .uri(target)
                .headers(h -> copy(request.headers().asHttpHeaders(), h, CLIENT_FORWARDING))
                .headers(h -> request.remoteAddress().ifPresent(a -> h.set("X-Forwarded-For", a.getHostString())))
                .body(BodyInserters.fromDataBuffers(request.bodyToFlux(DataBuffer.class)))
                .retrieve()
                .onStatus(status -> true, response -> Mono.empty()) // pass every status through as it is
                .toEntityFlux(DataBuffer.class)
                .flatMap(entity -> ServerResponse.status(entity.getStatusCode())
                        .headers(h -> copy(entity.getHeaders(), h, Set.of()))
                        .body(BodyInserters.fromDataBuffers(entity.getBody())))
                .timeout(isUpload(request) ? props.uploadTimeout() : props.proxyTimeout())
                .onErrorResume(TimeoutException.class, e -> {
                    log.warn("api route timed out: route={}", name);
                    meters.counter("im.remote.timeouts", "target", name).increment();
                    return problem(HttpStatus.GATEWAY_TIMEOUT, "the service did not answer in time");
                })
                .onErrorResume(WebClientRequestException.class, e -> {
                    log.warn("api route unreachable: route={} error={}", name, e.getMessage());
                    return problem(HttpStatus.BAD_GATEWAY, "the service is unavailable");
                });
    }

    private static boolean isUpload(ServerRequest request) {
        return request.headers().contentType().map(MediaType.MULTIPART_FORM_DATA::isCompatibleWith).orElse(false);
    }

    private static void copy(HttpHeaders from, HttpHeaders to, Set<String> alsoLeftOut) {
        from.forEach((header, values) -> {
            String name = header.toLowerCase(Locale.ROOT);
            if (!HOP_BY_HOP.contains(name) && !alsoLeftOut.contains(name)) {
                to.addAll(header, values);
            }
        });
    }

    private static Mono<ServerResponse> unauthorized(String detail) {
        return ServerResponse.status(HttpStatus.UNAUTHORIZED).header(HttpHeaders.WWW_AUTHENTICATE, INVALID_TOKEN)
                .contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .bodyValue(ProblemDetail.forStatusAndDetail(HttpStatus.UNAUTHORIZED, detail));
    }

    private static Mono<ServerResponse> problem(HttpStatus status, String detail) {
        return ServerResponse.status(status).contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .bodyValue(ProblemDetail.forStatusAndDetail(status, detail));
    }
}
