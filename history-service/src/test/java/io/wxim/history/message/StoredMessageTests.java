package io.wxim.history.message;

import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.protocol.ServerFrame;
import io.wxim.protocol.UserRef;
import org.bson.Document;
import org.junit.jupiter.api.Test;

class StoredMessageTests {
    private static final UserRef ALICE = new UserRef("alice", "Alice", null);

    @Test
    void framesWithoutRecalledFlag_whenNotRecalled() {
        ServerFrame.Message frame = message(false).toFrame();

        assertThat(frame.body()).isEqualTo("hi");
        assertThat(frame.recalled()).isNull();
    }

    @Test
    void framesRecalledWithoutBody_whenRecalled() {
        ServerFrame.Message frame = message(true).toFrame();

        assertThat(frame.body()).isNull();
        assertThat(frame.recalled()).isTrue();
        assertThat(frame.seq()).isEqualTo(3);
    }

    @Test
    void roundTripsRecalledFlagThroughDocument() {
        Document recalled = MessageRepository.toDocument(message(true));
        Document plain = MessageRepository.toDocument(message(false));

        assertThat(recalled).containsEntry("recalled", true).doesNotContainKey("body");
        assertThat(plain).containsEntry("body", "hi").doesNotContainKey("recalled");
        assertThat(MessageRepository.fromDocument(recalled)).isEqualTo(message(true));
        assertThat(MessageRepository.fromDocument(plain)).isEqualTo(message(false));
    }

    @Test
    void keepsRecalledFlag_whenAnsweredAsDuplicate() {
        StoredMessage duplicate = message(true).asDuplicate();

        assertThat(duplicate.duplicate()).isTrue();
        assertThat(duplicate.recalled()).isTrue();
        assertThat(duplicate.body()).isNull();
    }

    private static StoredMessage message(boolean recalled) {
        return new StoredMessage("r:lobby", 3, "0123456789abcdef01234567", ALICE, "c1", "text", "hi", 42L, false,
                recalled, null);
    }
}
