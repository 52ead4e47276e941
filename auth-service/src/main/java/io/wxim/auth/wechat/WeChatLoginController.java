package io.wxim.auth.wechat;

import io.wxim.auth.token.TokenResponse;
import jakarta.validation.Valid;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * {@code POST /api/auth/wechat/login}: the same token response as dev login. Exists only when
 * {@code im.auth.wechat.enabled=true}; otherwise the path answers 404 like any unknown path. Failures are
 * ProblemDetails with a stable {@code code} (see {@link WeChatLoginException}).
 */
@RestController
@ConditionalOnBooleanProperty("im.auth.wechat.enabled")
class WeChatLoginController {
    private final WeChatLoginService login;

    WeChatLoginController(WeChatLoginService login) {
        this.login = login;
    }

    @PostMapping(path = "/api/auth/wechat/login", consumes = MediaType.APPLICATION_JSON_VALUE,
            produces = MediaType.APPLICATION_JSON_VALUE)
    Mono<TokenResponse> login(@Valid @RequestBody WeChatLoginRequest request) {
        return login.login(request);
    }
}
