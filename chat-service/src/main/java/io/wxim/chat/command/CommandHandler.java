package io.wxim.chat.command;

import io.wxim.protocol.Command;
import java.time.Duration;
import reactor.core.publisher.Mono;

/**
 * Runs one command from the stream. Called at least once per command (redelivery after a crash), so it must be
 * idempotent. Completing means the command's effects and reply are published; an error leaves the entry pending
 * for a retry. {@code budget} is what is left of the command's deadline, counted from when its gateway added it to
 * the stream, on Redis's clock ({@link CommandConsumer}); the work must not outlast it. A command reaches here with
 * (almost) no budget left only if it is a {@code DISCONNECT}: the others are acknowledged unrun ({@link ExpiredCommands}).
 */
@FunctionalInterface
public interface CommandHandler {
    Mono<Void> dispatch(Command command, Duration budget);
}
