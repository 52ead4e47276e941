package io.wxim.auth.session;

import com.nimbusds.jwt.JWTClaimsSet;
import io.wxim.auth.token.AccessTokenVerifier;
import io.wxim.auth.token.SessionRevoker;
import io.wxim.auth.user.UserService;
import io.wxim.auth.user.ProfileUpdate;
import io.wxim.protocol.UserRef;
import jakarta.validation.Valid;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.ErrorResponseException;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * Endpoints of a signed-in user (bearer access token, verified here, revocation checked):
 * {@code POST /api/auth/logout} ends the token's session everywhere (its refresh token stops working, its
 * connections on every gateway close with 4501) and {@code PUT /api/auth/profile} changes nickname and avatar.
 */
@RestController
class SessionController {
    private final AccessTokenVerifier verifier;
    private final SessionRevoker revoker;
    private final UserService users;

    SessionController(AccessTokenVerifier verifier, SessionRevoker revoker, UserService users) {
        this.verifier = verifier;
        this.revoker = revoker;
        this.users = users;
    }

    @PostMapping("/api/auth/logout")
    Mono<ResponseEntity<Void>> logout(@RequestHeader(name = HttpHeaders.AUTHORIZATION, required = false) String authorization) {
        return signedIn(authorization)
                .flatMap(claims -> revoker.revokeSession(claims.getSubject(), sid(claims), "logout"))
                .thenReturn(ResponseEntity.noContent().build());
    }

    @PutMapping(path = "/api/auth/profile", consumes = MediaType.APPLICATION_JSON_VALUE,
            produces = MediaType.APPLICATION_JSON_VALUE)
    Mono<UserRef> profile(@RequestHeader(name = HttpHeaders.AUTHORIZATION, required = false) String authorization,
                          @Valid @RequestBody ProfileRequest request) {
        return signedIn(authorization)
                // only an existing user: the upsert must not recreate a deleted one from a token
                .flatMap(claims -> users.findById(claims.getSubject())
                        .flatMap(user -> users.updateProfile(user.id(), new ProfileUpdate(request.nickname(), request.avatarUrl()))))
                .switchIfEmpty(Mono.error(() -> new ErrorResponseException(HttpStatus.UNAUTHORIZED,
                        ProblemDetail.forStatusAndDetail(HttpStatus.UNAUTHORIZED, "No such user."), null)));
    }

    /** The verified claims of a token that is not revoked; 401 otherwise. */
    private Mono<JWTClaimsSet> signedIn(String authorization) {
        return Mono.fromCallable(() -> verifier.verifyBearer(authorization))
                .flatMap(claims -> revoker.isRevoked(claims.getSubject(), sid(claims),
                                claims.getIssueTime() == null ? 0 : claims.getIssueTime().toInstant().getEpochSecond())
                        .flatMap(revoked -> revoked
                                ? Mono.error(verifierError())
                                : Mono.just(claims)));
    }

    private ErrorResponseException verifierError() {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.UNAUTHORIZED, "The session has ended; log in again.");
        problem.setTitle("Unauthorized");
        return new ErrorResponseException(HttpStatus.UNAUTHORIZED, problem, null);
    }

    private static String sid(JWTClaimsSet claims) {
        Object sid = claims.getClaim("sid");
        return sid == null ? "" : sid.toString();
    }
}
