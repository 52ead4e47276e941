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
 * @param uploadTimeout   the same bound for multipart uploads ({@code POST /api/media}), whose whole body must arrive
 *                        first: 10 MB over a slow mobile link takes a while
 * @param redisTimeout    bound on every Redis call
 * @param streamMaxLen    approximate cap of the command stream (XADD MAXLEN ~); consumed entries are history only
 * @param pubsubProbeInterval how often the gateway publishes a probe to its own node channel to prove its pub/sub
 *                        listener still receives (readiness goes DOWN after three intervals without one); 5 s costs
 *                        one PUBLISH per gateway every 5 s. After a Redis connection drop it probes every 100 ms
 *                        until the resubscription is proven, then tells its clients to resync.
 * @param secure          optional payload encryption on /ws (the {@code secure} frame)
 * @param userRate        per-user {@code send} rate shared by all of a user's connections on every gateway (Redis)
 * @param userConnections cluster-wide cap on one user's connections (Redis)
 * @param openConnectionsInterval how often the gateway writes the list of its open connections to Redis, so that
 *                        chat-service ends those whose DISCONNECT was lost (missing from two lists in a row)
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
        @DefaultValue("120s") Duration uploadTimeout,
        @DefaultValue("2s") Duration redisTimeout,
        @Min(1000) @DefaultValue("100000") long streamMaxLen,
        @Valid @DefaultValue Secure secure,
        @DefaultValue("5s") Duration pubsubProbeInterval,
        @Valid @DefaultValue UserRate userRate,
        @Valid @DefaultValue UserConnections userConnections,
        @DefaultValue("60s") Duration openConnectionsInterval) {

    public GatewayProperties {
        allowedOrigins = allowedOrigins.stream().filter(o -> !o.isBlank()).toList();
        routes = Map.copyOf(routes);
    }

    /**
     * @param jwksUri  auth-service's JWK set; keys are cached and re-fetched when an unknown {@code kid} appears
     * @param audience required {@code aud} of access tokens
     * @param checkTimeout bound on a token's signature check, which may wait for the JWK set to be fetched; past it
     *                     the token counts as not checked (503 at the handshake), never as valid
     * @param jwksMinRefetch a token with a key id the gateway does not hold fetches the JWK set again, at most this
     *                     often (a key rotated in at auth-service is seen within it; made-up key ids cost one fetch)
     */
    public record Auth(
            @DefaultValue("http://localhost:8081/api/auth/jwks") String jwksUri,
            @DefaultValue("wxim") String audience,
            @DefaultValue("5s") Duration checkTimeout,
            @DefaultValue("5s") Duration jwksMinRefetch) {
    }

    /**
     * @param path                  WebSocket endpoint path
     * @param maxFrameSize          largest inbound frame; a 4000-character body in JSON fits well below it. Larger -> 1009
     * @param outboundQueue         frames queued for one connection before it counts as a slow consumer (closed 4002);
     *                              rounded up to a power of two. 512 frames absorb a burst in a busy room
     * @param idleTimeout           no frame from the client for this long -> close 4004; clients ping every 25s
     * @param commandTimeout        wait for chat-service's answer to one command before answering {@code unavailable}
     * @param maxConnectionsPerUser connections one user may hold on this gateway (mini-programs allow 5 sockets)
     * @param drainWindow           on shutdown, connections are closed with 4001 spread evenly over this window, so
     *                              their reconnects do not hit the other gateways all at once; keep it (plus the
     *                              command timeout) well inside the orchestrator's termination grace period
     * @param ratePerSecond         sustained frames per second per connection; excess frames get {@code rate_limited}
     * @param rateBurst             frames a connection may send at once above the sustained rate
     * @param maxStarting           connections on their way in (accepted and silent, or awaiting their welcome) before
     *                              the listening socket stops accepting and handshakes on open connections get 503
     * @param maxPause              longest the listening socket stops accepting at once; after it, new connections are
     *                              accepted again (and WebSocket handshakes beyond {@code maxStarting} get 503) until
     *                              half of those on their way in are through, so {@code /api} on new connections never
     *                              waits longer than this when chat-service is slow
     * @param acceptBacklog         the listening socket's accept queue (the kernel caps it at
     *                              {@code net.core.somaxconn}: 4,096 on current kernels, 128 before Linux 5.4)
     * @param maxConnections        WebSocket connections this gateway holds at most; beyond, handshakes get 503
     *                              ({@link ConnectionCapacity}). 0 (default): derived, the lower of the process's
     *                              open-file limit less a reserve (a tenth, at least 256) and the max heap / 16 KiB
     */
    public record Ws(
            @DefaultValue("/ws") String path,
            @DefaultValue("64KB") DataSize maxFrameSize,
            @Min(8) @DefaultValue("512") int outboundQueue,
            @DefaultValue("60s") Duration idleTimeout,
            @DefaultValue("10s") Duration commandTimeout,
            @Min(1) @DefaultValue("10") int maxConnectionsPerUser,
            @DefaultValue("5s") Duration drainWindow,
            @Min(1) @DefaultValue("20") int ratePerSecond,
            @Min(1) @DefaultValue("40") int rateBurst,
            @Min(1) @DefaultValue("64") int maxStarting,
            @DefaultValue("2s") Duration maxPause,
            @Min(1) @DefaultValue("4096") int acceptBacklog,
            @Min(0) @DefaultValue("0") int maxConnections) {
    }

    /**
     * @param enabled           whether clients may switch a connection to encrypted frames. Default false; needs
     *                          auth-service's {@code im.auth.encryption.enabled} and the token below
     * @param keysUri           auth-service's private-key endpoint for gateways (internal network only)
     * @param token             bearer token for it, the same as auth-service's {@code im.auth.encryption.gateway-token}
     *                          (env {@code IM_GATEWAY_KEYS_TOKEN}); required when enabled
     * @param refreshInterval   how often the key set is fetched; must stay well below auth-service's rotation lead
     *                          (10 minutes), so a new key is here before any client uses it
     * @param minRefetch        an unknown key id triggers a fetch at once, at most this often
     * @param handshakesPerUser secure handshakes (one RSA decryption each) one user may start per minute on this
     *                          gateway; beyond, {@code rate_limited}
     * @param handshakesPerIp   the same per client IP address (mobile carriers put many users behind one address,
     *                          so it is higher)
     */
    public record Secure(
            @DefaultValue("false") boolean enabled,
            @DefaultValue("http://localhost:8081/internal/encryption-keys") java.net.URI keysUri,
            String token,
            @DefaultValue("60s") Duration refreshInterval,
            @DefaultValue("5s") Duration minRefetch,
            @Min(1) @DefaultValue("20") int handshakesPerUser,
            @Min(1) @DefaultValue("300") int handshakesPerIp) {

        public Secure {
            token = token == null || token.isBlank() ? null : token.strip();
        }

        @Override
        public String toString() {
            return "Secure[enabled=" + enabled + ", keysUri=" + keysUri + ", token=" + (token == null ? "unset" : "<redacted>")
                    + ", refreshInterval=" + refreshInterval + ", minRefetch=" + minRefetch
                    + ", handshakesPerUser=" + handshakesPerUser + ", handshakesPerIp=" + handshakesPerIp + "]";
        }
    }

    /**
     * One token bucket per user in Redis, taken by every {@code send} of any of the user's connections on any gateway
     * (other frames are bounded by the per-connection rate only). Excess sends get {@code rate_limited} with
     * {@code retryAfter}. If Redis does not answer, sends are let through (fail open, logged and counted).
     *
     * @param perSecond sustained sends per second of one user: 50 is far above a person typing and bounds what a
     *                  script spreading over many connections and gateways can store
     * @param burst     sends one user may make at once above the sustained rate (a reconnecting client resending
     *                  its unacknowledged messages)
     */
    public record UserRate(
            @Min(1) @DefaultValue("50") int perSecond,
            @Min(1) @DefaultValue("100") int burst) {
    }

    /**
     * Connections of one user across every gateway, counted in Redis (a sorted set per user with one entry per
     * connection, refreshed by its gateway). Beyond {@code max} the new connection is closed with 4503 right after
     * the upgrade, like the per-gateway cap. If Redis does not answer, the connection is admitted (fail open).
     *
     * @param max       connections one user may hold on all gateways together: two per device for a handful of
     *                  devices, with room for reconnects whose old socket has not closed yet
     * @param entryTtl  an entry not refreshed for this long no longer counts (its gateway crashed); a few heartbeats
     * @param heartbeat how often a gateway refreshes the entries of its open connections; well below {@code entryTtl}
     */
    public record UserConnections(
            @Min(1) @DefaultValue("20") int max,
            @DefaultValue("90s") Duration entryTtl,
            @DefaultValue("30s") Duration heartbeat) {
    }
}
