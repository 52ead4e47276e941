package io.wxim.chat;

import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** chat-service: conversations, membership, presence; authorizes every command and routes deliveries. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class ChatApplication {
    public static final String CONFIG_NAME = "chat-service";

    public static void main(String[] args) {
        new SpringApplicationBuilder(ChatApplication.class).properties("spring.config.name=" + CONFIG_NAME).run(args);
    }
}
