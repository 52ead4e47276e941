package io.wxim.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wxim.testinfra.TestInfra;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/** Starts the real auth-service with some properties and checks that it refuses to start, says why, and leaks no secret. */
public final class StartupRefusal {
    private StartupRefusal() {
    }

    /**
     * @param properties   added to a working base configuration (real Redis and Mongo, generated signing key)
     * @param secrets      values that must appear in no message of the failure chain
     * @param messageParts what the root cause's message must say
     */
    public static void assertRefusesToStart(Map<String, String> properties, List<String> secrets, String... messageParts) {
        Map<String, String> props = new LinkedHashMap<>();
        props.put("server.port", "0");
        props.put("management.server.port", "0");
        props.put("spring.main.banner-mode", "off");
        props.put("spring.data.redis.host", TestInfra.redisHost());
        props.put("spring.data.redis.port", String.valueOf(TestInfra.redisPort()));
        props.put("spring.mongodb.uri", TestInfra.mongoUri("im_auth_test"));
        props.put("im.auth.signing.generate-if-missing", "true");
        props.putAll(properties);
        String[] args = props.entrySet().stream().map(e -> "--" + e.getKey() + "=" + e.getValue()).toArray(String[]::new);

        assertThatThrownBy(() -> {
            ConfigurableApplicationContext context = new SpringApplicationBuilder(AuthApplication.class)
                    .properties("spring.config.name=" + AuthApplication.CONFIG_NAME)
                    .registerShutdownHook(false)
                    .run(args);
            context.close();
        }).satisfies(e -> {
            List<String> messages = new ArrayList<>();
            Throwable root = e;
            for (Throwable t = e; t != null; t = t.getCause()) {
                messages.add(String.valueOf(t.getMessage()));
                root = t;
            }
            assertThat(root).isInstanceOf(IllegalStateException.class);
            for (String part : messageParts) {
                assertThat(root.getMessage()).contains(part);
            }
            String all = String.join("\n", messages);
            for (String secret : secrets) {
                assertThat(all).doesNotContain(secret);
            }
        });
    }
}
