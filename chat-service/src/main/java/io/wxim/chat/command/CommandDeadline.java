package io.wxim.chat.command;

import java.util.concurrent.TimeoutException;
import reactor.util.context.Context;
import reactor.util.context.ContextView;

/**
 * The deadline of the command whose work is running, on Redis's clock (its stream entry's time plus
 * {@code im.chat.command-deadline}), carried in the Reactor context of that work ({@link CommandConsumer} writes it).
 * A Redis step that must not run once its command has given up is fenced with it: Redis runs the step only before
 * the deadline (ADR-34). Such a step can come late only when its bytes were held up on the way to Redis (a network
 * stall); by then its command has given up and the client was answered {@code unavailable} (by this instance or its
 * gateway), and the client's retry may have done the work and the user moved on (a leave finished by its retry, then
 * a rejoin, which the late step would undo). The deadline is enough because the client retries only after an answer,
 * and this instance publishes its answer on the same shared Redis connection as the held-up step (TCP keeps it
 * behind), or after its gateway's own wait, which is longer than the deadline: replies on a connection of their own
 * would break that.
 */
public final class CommandDeadline {
    private static final Class<CommandDeadline> KEY = CommandDeadline.class;
    /** The script argument of a step outside a command: never late. */
    public static final String NONE = "";
    /** How a fenced script's error reply starts when the step came after the deadline. */
    static final String LATE = "LATE ";

    private CommandDeadline() {
    }

    /** The context of a command's work whose deadline is {@code redisMillis}. */
    public static Context of(long redisMillis) {
        return Context.of(KEY, redisMillis);
    }

    /**
     * A fenced step's refusal (the script's {@code LATE} error) as what it is to the command: its time ran out, so it
     * answers {@code unavailable} and the client retries (not an internal error); any other error as it is.
     */
    public static Throwable asTimeout(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && t.getMessage().startsWith(LATE)) {
                TimeoutException timeout = new TimeoutException("a step reached Redis after its command's deadline");
                timeout.initCause(e);
                return timeout;
            }
        }
        return e;
    }

    /** The deadline as a script argument: Redis milliseconds, or {@link #NONE} outside a command. */
    public static String argument(ContextView context) {
        return context.<Long>getOrEmpty(KEY).map(String::valueOf).orElse(NONE);
    }
}
