package io.wxim.auth.wechat;

import io.wxim.auth.config.AuthProperties;
import io.wxim.auth.token.TokenService;
import io.wxim.auth.user.UserService;
import java.security.SecureRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.web.reactive.function.client.WebClient;
import tools.jackson.databind.json.JsonMapper;

/**
 * Wires WeChat login when {@code im.auth.wechat.enabled=true}. The credentials are loaded and checked first, so a
 * missing or malformed appid, AppSecret or vault key stops the service at startup with a message saying what to set.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnBooleanProperty("im.auth.wechat.enabled")
class WeChatConfig {
    private static final Logger log = LoggerFactory.getLogger(WeChatConfig.class);

    @Bean
    WeChatCredentials weChatCredentials(WeChatProperties props) {
        WeChatCredentials credentials = WeChatCredentials.load(props);
        log.info("wechat login enabled: appId={} baseUrl={} timeout={} sessionKeyTtl={}", credentials.appId(),
                props.baseUrl(), props.timeout(), props.sessionKeyTtl());
        return credentials;
    }

    @Bean
    Code2SessionClient code2SessionClient(WebClient.Builder builder, JsonMapper json, WeChatCredentials credentials,
                                          WeChatProperties props) {
        return new Code2SessionClient(builder, json, credentials, props);
    }

    @Bean
    SessionKeyVault sessionKeyVault(WeChatCredentials credentials, SecureRandom random) {
        return new SessionKeyVault(credentials.vaultKey(), random);
    }

    @Bean
    WeChatSessionKeyRepository weChatSessionKeyRepository(ReactiveStringRedisTemplate redis, SessionKeyVault vault,
                                                          WeChatProperties props, AuthProperties auth) {
        return new WeChatSessionKeyRepository(redis, vault, props.sessionKeyTtl(), auth.redisTimeout());
    }

    @Bean
    WeChatLoginService weChatLoginService(Code2SessionClient client, UserService users,
                                          WeChatSessionKeyRepository sessionKeys, TokenService tokens, JsonMapper json,
                                          WeChatCredentials credentials) {
        return new WeChatLoginService(client, users, sessionKeys, tokens, json, credentials);
    }
}
