package io.wxim.chat.direct;

import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.protocol.Conversations;
import org.junit.jupiter.api.Test;

/** Direct conversation ids: derived from the two users only, the same from both sides, valid everywhere. */
class DirectConversationIdTests {
    @Test
    void isSymmetric_distinct_andAValidConversationId() {
        String ab = DirectService.conversationOf("ualice", "ubob");
        assertThat(ab).isEqualTo(DirectService.conversationOf("ubob", "ualice"));
        assertThat(ab).startsWith("d:").hasSize(42);
        assertThat(Conversations.isValid(ab)).isTrue();
        assertThat(ab).isNotEqualTo(DirectService.conversationOf("ualice", "ucarol"));
        // the separator keeps ("a", "bc") and ("ab", "c") apart
        assertThat(DirectService.conversationOf("a", "bc")).isNotEqualTo(DirectService.conversationOf("ab", "c"));
        String longest = "x".repeat(32);
        assertThat(Conversations.isValid(DirectService.conversationOf(longest, "y".repeat(32)))).isTrue();
    }
}
