package io.wxim.chat.command;

import io.wxim.protocol.Command;
import reactor.core.publisher.Mono;

/**
 * Runs one command from the stream. Called at least once per command (redelivery after a crash), so it must be
 * idempotent. Completing means the command's effects and reply are published; an error leaves the entry pending
 * for a retry.
 */
@FunctionalInterface
public interface CommandHandler {
    Mono<Void> dispatch(Command command);
}
