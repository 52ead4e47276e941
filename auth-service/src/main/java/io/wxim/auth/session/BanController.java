package io.wxim.auth.session;

import io.wxim.auth.token.SessionRevoker;
import io.wxim.auth.user.BanService;
import io.wxim.protocol.Conversations;
import java.time.Clock;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * Internal (operators and other services; never routed by the gateway, kept private by the network policy):
 * {@code POST /internal/users/{id}/ban} refuses the user's logins and refreshes and closes every connection they
 * have on every gateway within seconds; {@code DELETE} lifts the ban (tokens already revoked stay revoked).
 */
@RestController
class BanController {
    private final BanService bans;
    private final SessionRevoker revoker;
    private final Clock clock;

    BanController(BanService bans, SessionRevoker revoker, Clock clock) {
        this.bans = bans;
        this.revoker = revoker;
        this.clock = clock;
    }

    @PostMapping("/internal/users/{userId}/ban")
    Mono<ResponseEntity<Void>> ban(@PathVariable String userId) {
        if (!Conversations.isValidUserId(userId)) {
            return Mono.just(ResponseEntity.notFound().build());
        }
        return bans.ban(userId, clock.instant()).flatMap(found -> found
                ? revoker.revokeUser(userId, "ban").thenReturn(ResponseEntity.noContent().<Void>build())
                : Mono.just(ResponseEntity.notFound().<Void>build()));
    }

    @DeleteMapping("/internal/users/{userId}/ban")
    Mono<ResponseEntity<Void>> unban(@PathVariable String userId) {
        if (!Conversations.isValidUserId(userId)) {
            return Mono.just(ResponseEntity.notFound().build());
        }
        return bans.unban(userId).thenReturn(ResponseEntity.noContent().build());
    }
}
