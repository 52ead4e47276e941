package io.wxim.history;

import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/**
 * history-service: the durable message store. Assigns the per-conversation {@code seq}, stores messages idempotently
 * and serves the history/sync API. Its configuration file is {@code history-service.yml} (not application.yml), so
 * several services can share one classpath in the local launcher.
 */
@SpringBootApplication
@ConfigurationPropertiesScan
public class HistoryApplication {

    /** The configuration file name of this service, without extension. */
    public static final String CONFIG_NAME = "history-service";

    public static void main(String[] args) {
        new SpringApplicationBuilder(HistoryApplication.class)
                .properties("spring.config.name=" + CONFIG_NAME)
                .run(args);
    }
}
