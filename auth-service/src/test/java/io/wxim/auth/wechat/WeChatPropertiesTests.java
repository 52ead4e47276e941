package io.wxim.auth.wechat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

class WeChatPropertiesTests {

    @Test
    void bindsDefaults_whenNothingIsSet() {
        WeChatProperties props = new Binder(new MapConfigurationPropertySource(Map.of()))
                .bindOrCreate("im.auth.wechat", WeChatProperties.class);

        assertThat(props.enabled()).isFalse();
        assertThat(props.baseUrl()).isEqualTo(URI.create("https://api.weixin.qq.com"));
        assertThat(props.timeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(props.sessionKeyTtl()).isEqualTo(Duration.ofDays(3));
        assertThat(props.appId()).isNull();
        assertThat(props.secret()).isNull();
        assertThat(props.secretFile()).isNull();
        assertThat(props.vaultKey()).isNull();
        assertThat(props.vaultKeyFile()).isNull();
    }

    @Test
    void treatsEmptyValuesAsAbsent_andNeverPrintsSecrets() {
        WeChatProperties empty = WeChatCredentialsTests.props(Map.of("app-id", "", "secret", " ", "secret-file", "",
                "vault-key", "", "vault-key-file", ""));
        assertThat(empty.appId()).isNull();
        assertThat(empty.secret()).isNull();
        assertThat(empty.secretFile()).isNull();
        assertThat(empty.vaultKey()).isNull();
        assertThat(empty.vaultKeyFile()).isNull();

        WeChatProperties set = WeChatCredentialsTests.props(Map.of("secret", "the-secret-value",
                "vault-key", "the-vault-key"));
        assertThat(set.toString()).doesNotContain("the-secret-value").doesNotContain("the-vault-key");
    }

    @Test
    void rejectsTimeout_whenNotPositive() {
        assertThatThrownBy(() -> WeChatCredentialsTests.props(Map.of("timeout", "0s")))
                .isInstanceOf(BindException.class)
                .rootCause().hasMessageContaining("im.auth.wechat.timeout");
    }
}
