package io.wxim.auth.user;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.SecureRandom;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class UserIdGeneratorTests {
    private final UserIdGenerator ids = new UserIdGenerator(new SecureRandom());

    @Test
    void generatesUPlus20LowercaseBase32_thatOtherServicesAccept() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 1_000; i++) {
            String id = ids.next();
            assertThat(id).matches("u[a-z2-7]{20}");
            assertThat(UserIdGenerator.PATTERN.matcher(id).matches()).isTrue();
            seen.add(id);
        }
        assertThat(seen).hasSize(1_000);
    }
}
