package io.wxim.auth.login;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.validation.ConstraintViolation;
import jakarta.validation.Validation;
import jakarta.validation.Validator;
import jakarta.validation.ValidatorFactory;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class DevLoginRequestTests {
    private static ValidatorFactory factory;
    private static Validator validator;

    @BeforeAll
    static void createValidator() {
        factory = Validation.buildDefaultValidatorFactory();
        validator = factory.getValidator();
    }

    @AfterAll
    static void closeValidator() {
        factory.close();
    }

    @Test
    void stripsNickname_andTreatsBlankAvatarAsAbsent() {
        DevLoginRequest request = new DevLoginRequest("  Alice \t", "  ");

        assertThat(request.nickname()).isEqualTo("Alice");
        assertThat(request.avatarUrl()).isNull();
        assertThat(invalidFields(request)).isEmpty();
    }

    @Test
    void acceptsUnicodeNickname_andHttpsAvatar() {
        assertThat(invalidFields(new DevLoginRequest("小明 👩‍💻", "https://thirdwx.qlogo.cn/mmopen/abc/132"))).isEmpty();
        assertThat(invalidFields(new DevLoginRequest("x".repeat(32), "http://a.example/" + "p".repeat(400)))).isEmpty();
    }

    @Test
    void rejectsNickname_whenBlankTooLongOrWithControlCharacters() {
        assertThat(invalidFields(new DevLoginRequest(null, null))).containsExactly("nickname");
        assertThat(invalidFields(new DevLoginRequest("   ", null))).containsExactly("nickname");
        assertThat(invalidFields(new DevLoginRequest("x".repeat(33), null))).containsExactly("nickname");
        assertThat(invalidFields(new DevLoginRequest("bad\u0000name", null))).containsExactly("nickname");
        assertThat(invalidFields(new DevLoginRequest("two\nlines", null))).containsExactly("nickname");
        assertThat(invalidFields(new DevLoginRequest("sep\u2028x", null))).containsExactly("nickname");
    }

    @Test
    void rejectsAvatarUrl_whenNotHttpOrTooLong() {
        assertThat(invalidFields(new DevLoginRequest("a", "javascript:alert(1)"))).containsExactly("avatarUrl");
        assertThat(invalidFields(new DevLoginRequest("a", "ftp://host/x.png"))).containsExactly("avatarUrl");
        assertThat(invalidFields(new DevLoginRequest("a", "https://"))).containsExactly("avatarUrl");
        assertThat(invalidFields(new DevLoginRequest("a", "https://host/a b"))).containsExactly("avatarUrl");
        assertThat(invalidFields(new DevLoginRequest("a", "https://h/" + "p".repeat(510)))).containsExactly("avatarUrl");
    }

    private static Set<String> invalidFields(DevLoginRequest request) {
        Set<ConstraintViolation<DevLoginRequest>> violations = validator.validate(request);
        return violations.stream().map(v -> v.getPropertyPath().toString()).collect(Collectors.toSet());
    }
}
