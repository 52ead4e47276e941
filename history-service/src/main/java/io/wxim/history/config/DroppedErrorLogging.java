package io.wxim.history.config;

import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.InitializingBean;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Hooks;
import reactor.netty.channel.AbortedException;

/**
 * Errors Reactor drops after a stream ended are here almost always a client that went away in the middle of an
 * upload or a download (Reactor Netty's {@code AbortedException}, broken pipe, connection reset): the upload's own
 * cancel already deleted what it stored. Reactor logs them at ERROR with a stack trace by default; ERROR is for what a
 * person must act on, so I/O errors go to DEBUG and anything else to WARN (as the gateway does).
 */
@Component
class DroppedErrorLogging implements InitializingBean {
    private static final Logger log = LoggerFactory.getLogger(DroppedErrorLogging.class);

    @Override
    public void afterPropertiesSet() {
        Hooks.onErrorDropped(e -> {
            if (e instanceof AbortedException || e instanceof IOException || e.getCause() instanceof IOException) {
                log.debug("dropped I/O error after a stream ended: {}", e.toString());
            } else {
                log.warn("dropped error after a stream ended: {}", e.toString());
            }
        });
    }
}
