package io.wxim.chat;

import io.wxim.testinfra.BlockHoundAllowlist;
import org.junit.jupiter.api.Test;

/** Canary: BlockHound is active in this module's test JVM, so blocking on a non-blocking thread fails tests. */
class BlockHoundInstalledTests {
    @Test
    void failsABlockingCall_onAReactorParallelThread() {
        BlockHoundAllowlist.assertActive();
    }
}
