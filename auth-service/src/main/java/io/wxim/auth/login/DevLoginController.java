package io.wxim.auth.login;

import io.wxim.auth.token.TokenResponse;
import jakarta.validation.Valid;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * {@code POST /api/auth/dev-login}. Exists only when {@code im.auth.dev-login.enabled=true}; otherwise the path
 * answers 404 like any unknown path.
 */
@RestController
@ConditionalOnBooleanProperty("im.auth.dev-login.enabled")
class DevLoginController {
    private final DevLoginService devLogin;

    DevLoginController(DevLoginService devLogin) {
        this.devLogin = devLogin;
    }

    @PostMapping(path = "/api/auth/dev-login", consumes = MediaType.APPLICATION_JSON_VALUE,
            produces = MediaType.APPLICATION_JSON_VALUE)
    Mono<TokenResponse> login(@Valid @RequestBody DevLoginRequest request) {
        return devLogin.login(request);
    }
}
