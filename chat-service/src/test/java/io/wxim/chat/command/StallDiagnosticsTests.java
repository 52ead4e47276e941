package io.wxim.chat.command;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class StallDiagnosticsTests {
    @Test
    void dumpsEveryThreadOnce_thenStaysQuietForAMinute() {
        Logger logger = (Logger) LoggerFactory.getLogger("stall-test");
        ListAppender<ILoggingEvent> captured = new ListAppender<>();
        captured.start();
        logger.addAppender(captured);

        StallDiagnostics.dumpOnce(logger, "userId=u1 event=FRAME");
        StallDiagnostics.dumpOnce(logger, "userId=u2 event=FRAME");

        assertThat(captured.list).hasSize(1);
        String message = captured.list.get(0).getFormattedMessage();
        assertThat(message).contains("userId=u1").contains("\"main\"").contains("at ");
        assertThat(message).doesNotContain("userId=u2");
    }
}
