package io.wxim.gateway.connection;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class WriterQueueTests {
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicBoolean writable = new AtomicBoolean(true);
    private final WriterQueue<String> queue = new WriterQueue<>(new ArrayDeque<>(), queued, "wake");

    @Test
    void countsDownAsTheWriterTakesFrames() {
        queue.offer("a");
        queue.offer("b");
        queued.set(2); // Connection counts up when it enqueues
        assertThat(queue.poll()).isEqualTo("a");
        assertThat(queued).hasValue(1);
        assertThat(queue.poll()).isEqualTo("b");
        assertThat(queue.poll()).isNull();
        assertThat(queued).hasValue(0);
    }

    @Test
    void handsOutNothingWhileTheSocketIsNotWritable_theBacklogStaysCounted() {
        queue.gate(writable::get);
        queue.offer("a");
        queued.set(1);
        writable.set(false);
        assertThat(queue.poll()).isNull();
        assertThat(queue.isEmpty()).isFalse(); // the writer does not finish while frames wait
        assertThat(queued).hasValue(1);
        writable.set(true);
        assertThat(queue.poll()).isEqualTo("a");
        assertThat(queued).hasValue(0);
    }

    @Test
    void theWakeIsNeverQueued_andClearDropsEverythingWhateverTheGate() {
        queue.gate(writable::get);
        assertThat(queue.offer("wake")).isTrue();
        assertThat(queue.isEmpty()).isTrue();
        queue.offer("a");
        queue.offer("b");
        queued.set(2);
        writable.set(false);
        queue.clear();
        assertThat(queue.isEmpty()).isTrue();
        assertThat(queued).hasValue(0);
    }
}
