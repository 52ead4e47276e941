package io.wxim.gateway.config;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Min;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * gateway-service settings ({@code im.gateway.*}).
 *
 * @param nodeId          this gateway's id (replies from chat-service are addressed to it); unique per replica.
 *                        Default: random per start, which is right since a gateway holds no state across restarts.
 * @param auth            how access tokens are verified
 * @param ws              WebSocket limits
 * @param allowedOrigins  browser origins allowed to open /ws (an Origin header not listed and not same-origin -> 403).
 *                        Mini-programs send no Origin. Empty by default: only same-origin pages.
 * @param routes          /api/{name}/** -> base URL of the service that serves it
 * @param proxyTimeout    bound on a proxied /api call until response headers arrive
 * @param redisTimeout    bound on every Redis call
 * @param streamMaxLen    approximate cap of the command stream (XADD MAXLEN ~); consumed entries are history only
 */
@Validated
@ConfigurationProperties("im.gateway")
public record GatewayProperties(
        String nodeId,
        @Valid @DefaultValue Auth auth,
        @Valid @DefaultValue Ws ws,
        @DefaultValue List<String> allowedOrigins,
        @DefaultValue Map<String, String> routes,
        @DefaultValue("10s") Duration proxyTimeout,
        @DefaultValue("2s") Duration redisTimeout,
        @Min(1000) @DefaultValue("100000") long streamMaxLen) {

    public GatewayProperties {
        allowedOrigins = allowedOrigins.stream().filter(o -> !o.isBlank()).toList();
        routes = Map.copyOf(routes);
    }

    /**
     * @param jwksUri  auth-service's JWK set; keys are cached and re-fetched when an unknown {@code kid} appears
     * @param audience required {@code aud} of access tokens
     */
    public record Auth(
            @DefaultValue("http://localhost:8081/api/auth/jwks") String jwksUri,
            @DefaultValue("wxim") String audience) {
    }

    /**
     * @param path                  WebSocket endpoint path
     * @param maxFrameSize          largest inbound frame; a 4000-character body in JSON fits well below it. Larger -> 1009
     * @param outboundQueue         frames queued for one connection before it counts as a slow consumer (closed 4002);
     *                              rounded up to a power of two. 512 frames absorb a burst in a busy room
     * @param idleTimeout           no frame from the client for this long -> close 4004; clients ping every 25s
     * @param commandTimeout        wait for chat-service's answer to one command before answering {@code unavailable}
     * @param maxConnectionsPerUser connections one user may hold on this gateway (mini-programs allow 5 sockets)
     * @param ratePerSecond         sustained frames per second per connection; excess frames get {@code rate_limited}
     * @param rateBurst             frames a connection may send at once above the sustained rate
     */
    public record Ws(
            @DefaultValue("/ws") String path,
            @DefaultValue("64KB") DataSize maxFrameSize,
            @Min(8) @DefaultValue("512") int outboundQueue,
            @DefaultValue("60s") Duration idleTimeout,
            @DefaultValue("10s") Duration commandTimeout,
            @Min(1) @DefaultValue("10") int maxConnectionsPerUser,
            @Min(1) @DefaultValue("20") int ratePerSecond,
            @Min(1) @DefaultValue("40") int rateBurst) {
    }
}
