package io.wxim.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wxim.wechatfake.FakeWeChatServer;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The local run's WeChat login: the fake by default, WeChat itself with a real appid and AppSecret. */
@Timeout(10)
class WeChatLoginTests {
    private static final byte[] VAULT_KEY = new byte[32];

    @Test
    void neitherSet_theFake() {
        assertThat(WeChatLogin.real(Map.<String, String>of()::get)).isEmpty();
        assertThat(WeChatLogin.real(Map.of("WECHAT_APPID", " ", "WECHAT_SECRET", "")::get)).as("blank is unset").isEmpty();
    }

    @Test
    void bothSet_WeChatItself_atAuthServicesDefaultOrigin_withTheFileVariantsBlanked() {
        WeChatLogin.Real real = WeChatLogin.real(Map.of("WECHAT_APPID", "wx0123456789abcdef",
                "WECHAT_SECRET", "0123456789abcdef0123456789abcdef")::get).orElseThrow();

        Map<String, String> props = WeChatLogin.real(real, VAULT_KEY);

        assertThat(props).containsEntry("im.auth.wechat.enabled", "true")
                .containsEntry("im.auth.wechat.base-url", "https://api.weixin.qq.com") // whatever the environment says
                .containsEntry("im.auth.wechat.app-id", "wx0123456789abcdef")
                .containsEntry("im.auth.wechat.secret", "0123456789abcdef0123456789abcdef")
                .containsEntry("im.auth.wechat.secret-file", "")
                .containsEntry("im.auth.wechat.vault-key", Base64.getEncoder().encodeToString(VAULT_KEY))
                .containsEntry("im.auth.wechat.vault-key-file", "");
        assertThat(real.toString()).as("the AppSecret never printed").doesNotContain("0123456789abcdef0123456789abcdef");
    }

    @Test
    void theAppSecretAsAFile_isPassedOn_andTheInlineOneBlanked() {
        WeChatLogin.Real real = WeChatLogin.real(Map.of("WECHAT_APPID", "wx0123456789abcdef",
                "WECHAT_SECRET_FILE", "/run/secrets/wechat-secret")::get).orElseThrow();

        assertThat(WeChatLogin.real(real, VAULT_KEY)).containsEntry("im.auth.wechat.secret-file", "/run/secrets/wechat-secret")
                .containsEntry("im.auth.wechat.secret", "");
    }

    @Test
    void bothAppSecretForms_orAnAppIdAuthServiceWouldRefuse_areRefusedBeforeAnythingStarts() {
        assertThatThrownBy(() -> WeChatLogin.real(Map.of("WECHAT_APPID", "wx0123456789abcdef", "WECHAT_SECRET", "s",
                "WECHAT_SECRET_FILE", "/f")::get)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not both");
        assertThatThrownBy(() -> WeChatLogin.real(Map.of("WECHAT_APPID", "WX0123456789ABCDEF", "WECHAT_SECRET", "s")::get))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a mini-program AppID");
    }

    @Test
    void oneWithoutTheOther_isRefused_namingWhatIsMissing() {
        assertThatThrownBy(() -> WeChatLogin.real(Map.of("WECHAT_APPID", "wx0123456789abcdef")::get))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("WECHAT_SECRET is missing");
        assertThatThrownBy(() -> WeChatLogin.real(Map.of("WECHAT_SECRET", "s")::get))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("WECHAT_APPID is missing");
    }

    @Test
    void theFake_itsOriginAndMadeUpCredentials() throws Exception {
        try (FakeWeChatServer wechat = FakeWeChatServer.start("wxfedcba9876543210", "fedcba9876543210fedcba9876543210")) {
            assertThat(WeChatLogin.fake(wechat, VAULT_KEY)).containsEntry("im.auth.wechat.enabled", "true")
                    .containsEntry("im.auth.wechat.base-url", wechat.baseUrl())
                    .containsEntry("im.auth.wechat.app-id", "wxfedcba9876543210")
                    .containsEntry("im.auth.wechat.secret", "fedcba9876543210fedcba9876543210")
                    .containsEntry("im.auth.wechat.secret-file", "")
                    .containsEntry("im.auth.wechat.vault-key-file", "");
        }
    }
}
