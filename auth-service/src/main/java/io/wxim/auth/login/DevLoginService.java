package io.wxim.auth.login;

import io.wxim.auth.token.TokenResponse;
import io.wxim.auth.token.TokenService;
import io.wxim.auth.user.LoginMethod;
import io.wxim.auth.user.ProfileUpdate;
import io.wxim.auth.user.UserService;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.stereotype.Service;
import reactor.core.publisher.Mono;

/** Nickname-only login: the same nickname (ignoring case) is always the same user. Development only. */
@Service
@ConditionalOnBooleanProperty("im.auth.dev-login.enabled")
class DevLoginService {
    private static final Logger log = LoggerFactory.getLogger(DevLoginService.class);

    private final UserService users;
    private final TokenService tokens;

    DevLoginService(UserService users, TokenService tokens) {
        this.users = users;
        this.tokens = tokens;
    }

    Mono<TokenResponse> login(DevLoginRequest request) {
        String key = request.nickname().toLowerCase(Locale.ROOT);
        return users.findOrCreate(LoginMethod.DEV, key, new ProfileUpdate(request.nickname(), request.avatarUrl()))
                .flatMap(tokens::issueFor)
                .doOnNext(response -> log.info("dev login: userId={}", response.user().id()));
    }
}
