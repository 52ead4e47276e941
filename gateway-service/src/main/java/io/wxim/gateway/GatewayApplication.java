package io.wxim.gateway;

import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** gateway-service: terminates WebSockets at /ws and routes /api/** to the services behind it. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class GatewayApplication {
    public static final String CONFIG_NAME = "gateway-service";

    public static void main(String[] args) {
        new SpringApplicationBuilder(GatewayApplication.class).properties("spring.config.name=" + CONFIG_NAME).run(args);
    }
}
