package io.wxim.history.message;

import io.wxim.protocol.ServerFrame;
import java.util.List;

/**
 * One page of a conversation, always in ascending seq order. {@code more} says whether the conversation has further
 * messages in the paging direction: newer ones for an {@code after} page, older ones for a {@code before} or newest page.
 */
public record MessagePage(String conv, List<ServerFrame.Message> messages, boolean more) {
    public MessagePage {
        messages = List.copyOf(messages);
    }
}
