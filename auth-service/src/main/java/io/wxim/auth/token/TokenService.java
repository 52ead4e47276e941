package io.wxim.auth.token;

import io.wxim.auth.config.AuthProperties;
import io.wxim.auth.user.BanService;
import io.wxim.auth.user.UserService;
import io.wxim.protocol.UserRef;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Base64;
import java.util.HexFormat;
import java.util.UUID;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;
import reactor.core.publisher.Mono;

/** Issues token pairs at login and rotates them at refresh. */
@Service
public class TokenService {
    private static final Logger log = LoggerFactory.getLogger(TokenService.class);
    private static final int REFRESH_TOKEN_BYTES = 32;
    /** 32 bytes in unpadded base64url; anything else cannot be one of ours and is not looked up. */
    private static final Pattern REFRESH_TOKEN_SHAPE = Pattern.compile("[A-Za-z0-9_-]{43}");

    private final AccessTokenIssuer accessTokens;
    private final RefreshTokenRepository refreshTokens;
    private final UserService users;
    private final BanService bans;
    private final SessionRevoker revoker;
    private final AuthProperties props;
    private final SecureRandom random;
    private final Clock clock;

    TokenService(AccessTokenIssuer accessTokens, RefreshTokenRepository refreshTokens, UserService users,
                 BanService bans, SessionRevoker revoker, AuthProperties props, SecureRandom random, Clock clock) {
        this.accessTokens = accessTokens;
        this.refreshTokens = refreshTokens;
        this.users = users;
        this.bans = bans;
        this.revoker = revoker;
        this.props = props;
        this.random = random;
        this.clock = clock;
    }

    /** A new pair after a successful login; starts a new session (refresh token family). 403 for a banned user. */
    public Mono<TokenResponse> issueFor(UserRef user) {
        return bans.requireNotBanned(user.id())
                .then(issue(user, UUID.randomUUID().toString(), newRefreshToken(), null));
    }

    /**
     * Trades a refresh token for a new pair in the same session (family). The old token is taken atomically, so it
     * works once, and is remembered as used: presenting a used token again means it was copied, so the whole session
     * is revoked (its current refresh token stops working and its connections are closed) and the answer is 401.
     * Except within the retry grace ({@code refresh-retry-grace}) after its rotation, as long as the token that
     * rotation issued was not used yet: then that refresh was carried out but its answer was lost, and this retry
     * gets a new pair in place of the lost one (whose refresh token stops working and counts as used).
     * Unknown or expired tokens, and users that no longer exist, fail with 401; banned users with 403. A retry too
     * early to take over a new token that its rotation has not stored yet, and a rotation that took so long that its
     * store is refused (its token consumed all the same), fail with 503 ({@link RefreshInProgressException}): retry
     * with the same token shortly, within the grace.
     */
    public Mono<TokenResponse> refresh(String refreshToken) {
        if (refreshToken == null || !REFRESH_TOKEN_SHAPE.matcher(refreshToken).matches()) {
            return Mono.error(new InvalidRefreshTokenException());
        }
        String hash = sha256Hex(refreshToken);
        // made before the take, which records it as the presented token's successor for the retry grace
        String successor = newRefreshToken();
        String successorHash = sha256Hex(successor);
        AuthProperties.Token token = props.token();
        return refreshTokens.takeAndMarkUsed(hash, successorHash, token.refreshTtl(), token.refreshRetryGrace())
                .switchIfEmpty(Mono.defer(() -> retried(hash, successorHash)))
                .switchIfEmpty(Mono.defer(() -> reused(hash)))
                .flatMap(session -> checked(session).flatMap(user -> issue(user, session.familyId(), successor, hash)));
    }

    /**
     * The user of a taken session, after the ban (403), revocation and user (401) look-ups, one after the other (a slow
     * but healthy MongoDB still finishes them well within the take-over age, 10 s; side by side they would save one
     * round trip, not needed).
     */
    private Mono<UserRef> checked(RefreshSession session) {
        return bans.requireNotBanned(session.userId())
                .then(revoker.isRefreshRevoked(session.userId(), session.familyId(), session.issuedAt().getEpochSecond()))
                .flatMap(revoked -> revoked ? Mono.<Void>error(new InvalidRefreshTokenException()) : Mono.<Void>empty())
                .then(users.findById(session.userId()))
                .switchIfEmpty(Mono.defer(() -> {
                    log.warn("refresh rejected: user gone userId={}", session.userId());
                    return Mono.error(new InvalidRefreshTokenException());
                }));
    }

    /** A rotated token again within the grace, its successor unused: the session, its successor taken; else empty. */
    private Mono<RefreshSession> retried(String hash, String successorHash) {
        if (props.token().refreshRetryGrace().isZero()) {
            return Mono.empty();
        }
        return refreshTokens.takeSuccessor(hash, successorHash, props.token().refreshTtl(), props.token().refreshRetryGrace())
                .doOnNext(session -> log.info("refresh retried within grace: userId={}", session.userId()))
                // too early to take over a successor not stored: 503, unless the session ended meanwhile (a logout
                // deletes its current token too), which no later retry changes: 401 then
                .onErrorResume(RefreshInProgressException.class, early -> refreshTokens.findUsed(hash)
                        .flatMap(session -> revoker.isRefreshRevoked(session.userId(), session.familyId(),
                                session.issuedAt().getEpochSecond()))
                        .flatMap(revoked -> Mono.<RefreshSession>error(revoked ? new InvalidRefreshTokenException() : early))
                        .switchIfEmpty(Mono.error(early)));
    }

    /** A token that is not current: if it was rotated before, revoke its session (reuse), then 401 either way. */
    private Mono<RefreshSession> reused(String hash) {
        return refreshTokens.findUsed(hash)
                .flatMap(session -> {
                    log.warn("refresh token reused, session revoked: userId={}", session.userId());
                    return revoker.revokeSession(session.userId(), session.familyId(), "refresh token reuse");
                })
                .then(Mono.defer(() -> {
                    log.debug("refresh rejected: token unknown, expired, used or revoked");
                    return Mono.<RefreshSession>error(new InvalidRefreshTokenException());
                }));
    }

    /**
     * Signs the pair and stores its refresh token. For a refresh ({@code rotatedHash}, the token it rotated; null for a
     * login) the store is refused once that rotation is as old as a retry needs it to be to take over its new token
     * ({@link RefreshTokenRepository#takeOverAge}, 10 s): answered 503, the client retries with the same token and that retry takes the unstored token over, or,
     * if a copy of the token was presented first and took it, the later presentation of either is a reuse that
     * revokes the session. A store refused because a retry took the token over already is answered the same way.
     */
    private Mono<TokenResponse> issue(UserRef user, String familyId, String refresh, String rotatedHash) {
        return Mono.defer(() -> {
            AccessToken access = accessTokens.issue(user, familyId);
            RefreshSession session = new RefreshSession(user.id(), familyId, access.issuedAt());
            return refreshTokens.saveCurrent(sha256Hex(refresh), session, props.token().refreshTtl(), rotatedHash,
                            props.token().refreshRetryGrace())
                    .flatMap(stored -> {
                        if (!stored) {
                            // too late to store (a retry may take it over now), or a retry took it over already
                            log.info("refresh store refused, too late or taken over by a retry, answered 503: userId={}",
                                    user.id());
                            return Mono.<TokenResponse>error(new RefreshInProgressException());
                        }
                        return Mono.just(new TokenResponse(access.value(), refresh, TokenResponse.BEARER,
                                props.token().accessTtl().toSeconds(), user));
                    });
        });
    }

    private String newRefreshToken() {
        byte[] bytes = new byte[REFRESH_TOKEN_BYTES];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** Lowercase hex SHA-256 of the token's UTF-8 bytes: the Redis key part, so the raw token is never stored. */
    static String sha256Hex(String token) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is always available", e);
        }
    }
}
