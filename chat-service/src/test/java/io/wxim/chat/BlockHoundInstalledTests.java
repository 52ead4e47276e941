package io.wxim.chat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import reactor.blockhound.BlockingOperationError;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/** Canary: BlockHound is active in this module's test JVM, so blocking on a non-blocking thread fails tests. */
class BlockHoundInstalledTests {
    @Test
    void failsABlockingCall_onAReactorParallelThread() {
        Mono<Void> blocking = Mono.<Void>fromRunnable(() -> {
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }).subscribeOn(Schedulers.parallel());
        StepVerifier.create(blocking).expectError(BlockingOperationError.class).verify(Duration.ofSeconds(5));
    }
}
