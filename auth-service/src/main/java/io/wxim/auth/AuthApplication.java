package io.wxim.auth;

import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** auth-service: logins, RS256 access tokens, rotating refresh tokens and the public JWK set. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class AuthApplication {
    /** Config file name ({@code auth-service.yml}): all services share one classpath in the local launcher. */
    public static final String CONFIG_NAME = "auth-service";

    public static void main(String[] args) {
        new SpringApplicationBuilder(AuthApplication.class).properties("spring.config.name=" + CONFIG_NAME).run(args);
    }
}
