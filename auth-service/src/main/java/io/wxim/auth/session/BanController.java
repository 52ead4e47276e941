package io.wxim.auth.session;

import io.wxim.auth.config.AuthProperties;
import io.wxim.auth.config.BearerSecret;
import io.wxim.auth.token.SessionRevoker;
import io.wxim.auth.user.BanService;
import io.wxim.protocol.Conversations;
import java.time.Clock;
import java.util.function.Supplier;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * Internal admin API (never routed by the gateway, kept private by the network policy, and it needs
 * {@code Authorization: Bearer <im.auth.admin-token>}; without a configured token it does not exist: 404):
 * {@code POST /internal/users/{id}/ban} refuses the user's logins and refreshes and closes every connection they
 * have on every gateway within seconds; {@code DELETE} lifts the ban (tokens issued before it stay revoked).
 */
@RestController
class BanController {
    private final BanService bans;
    private final SessionRevoker revoker;
    private final Clock clock;
    private final BearerSecret adminToken;

    BanController(BanService bans, SessionRevoker revoker, Clock clock, AuthProperties props) {
        this.bans = bans;
        this.revoker = revoker;
        this.clock = clock;
        this.adminToken = BearerSecret.of(props.adminToken(), "im.auth.admin-token");
    }

    @PostMapping("/internal/users/{userId}/ban")
    Mono<ResponseEntity<Void>> ban(@PathVariable String userId,
                                   @RequestHeader(name = HttpHeaders.AUTHORIZATION, required = false) String authorization) {
        return admin(authorization, userId, () -> bans.ban(userId, clock.instant()).flatMap(found -> found
                ? revoker.revokeUser(userId, "ban").thenReturn(ResponseEntity.noContent().<Void>build())
                : Mono.just(ResponseEntity.notFound().<Void>build())));
    }

    @DeleteMapping("/internal/users/{userId}/ban")
    Mono<ResponseEntity<Void>> unban(@PathVariable String userId,
                                     @RequestHeader(name = HttpHeaders.AUTHORIZATION, required = false) String authorization) {
        return admin(authorization, userId, () -> bans.unban(userId).thenReturn(ResponseEntity.noContent().<Void>build()));
    }

    /** 404 when the admin API is off or the id is malformed, 401 without the admin token; else runs the action. */
    private Mono<ResponseEntity<Void>> admin(String authorization, String userId,
                                             Supplier<Mono<ResponseEntity<Void>>> action) {
        if (!adminToken.isSet() || !Conversations.isValidUserId(userId)) {
            return Mono.just(ResponseEntity.notFound().build());
        }
        return adminToken.matches(authorization) ? action.get()
                : Mono.just(ResponseEntity.status(HttpStatus.UNAUTHORIZED).build());
    }
}
