package io.wxim.chat.conversation;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.wxim.protocol.ServerFrame;
import io.wxim.protocol.UserRef;

/**
 * One entry of the conversation list.
 *
 * @param kind        {@code room}, {@code direct} or {@code pair}
 * @param name        room name, or the peer's nickname (their id when they have none)
 * @param peer        the other user of a direct or pair conversation
 * @param lastSeq     newest seq (0 when empty)
 * @param unread      messages after the user's read cursor (own messages count as read)
 * @param lastMessage the newest message (without body if recalled), absent when empty
 * @param active      for a pair conversation: whether the session is still on
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ConversationSummary(String conv, String kind, String name, UserRef peer, long lastSeq, long unread,
                                  ServerFrame.Message lastMessage, Boolean active) {
}
