package io.wxim.chat.command;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.wxim.protocol.Command;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Commands that waited in the stream past their deadline ({@code im.chat.command-deadline}, counted from when the
 * gateway added them), so their gateway's wait is over or nearly: it answers the client {@code unavailable} when it
 * ends, as for any command left unanswered, and goes on with the connection's next command; clients retry (a send
 * with the same {@code cmid}, so it is stored once). Running such a command anyway would run it alongside or after
 * the connection's next one (a sender's messages stored out of order) and spend the instance on an answer nobody
 * waits for. So it is acknowledged without running ({@link CommandConsumer}), counted ({@code im.chat.commands.expired})
 * and logged once when expiries start and once when a command runs in time again, not once per command.
 */
@Component
class ExpiredCommands {
    private static final Logger log = LoggerFactory.getLogger(ExpiredCommands.class);

    private final Counter expired;
    private final AtomicBoolean behind = new AtomicBoolean();
    private final AtomicLong expiredWhileBehind = new AtomicLong();

    ExpiredCommands(MeterRegistry meters) {
        this.expired = meters.counter("im.chat.commands.expired");
    }

    /**
     * The command is dropped unrun: it waited {@code ageMillis} in the stream. A {@code claimed} entry (taken over from
     * an instance that did not finish it; always old, and logged where it is claimed) is only counted: it says nothing
     * about whether this instance keeps up.
     */
    void skipped(Command cmd, long ageMillis, boolean claimed) {
        expired.increment();
        if (claimed) {
            return;
        }
        expiredWhileBehind.incrementAndGet();
        if (behind.compareAndSet(false, true)) {
            log.warn("commands expire in the stream before they run; dropped unrun (their gateways answer unavailable) "
                    + "until one runs in time again: ageMillis={} event={} userId={} connId={}", ageMillis, cmd.event(),
                    cmd.user().id(), cmd.conn());
        }
    }

    /** A command is about to run within its deadline. */
    void ranInTime() {
        if (behind.get() && behind.compareAndSet(true, false)) {
            log.info("commands run in time again: expired meanwhile={}", expiredWhileBehind.getAndSet(0));
        }
    }
}
