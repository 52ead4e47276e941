package io.wxim.gateway.config;

import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.InitializingBean;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Hooks;

/**
 * Errors Reactor drops after a stream ended are, on a WebSocket server, almost always writes to a socket the client
 * already closed (broken pipe, connection reset). Reactor logs them at ERROR by default; ERROR is for what a person
 * must act on, so I/O errors go to DEBUG and anything else to WARN.
 */
@Component
class DroppedErrorLogging implements InitializingBean {
    private static final Logger log = LoggerFactory.getLogger(DroppedErrorLogging.class);

    @Override
    public void afterPropertiesSet() {
        Hooks.onErrorDropped(e -> {
            if (e instanceof IOException || e.getCause() instanceof IOException) {
                log.debug("dropped I/O error after a stream ended: {}", e.toString());
            } else {
                log.warn("dropped error after a stream ended: {}", e.toString());
            }
        });
    }
}
