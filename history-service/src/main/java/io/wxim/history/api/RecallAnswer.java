package io.wxim.history.api;

import com.fasterxml.jackson.annotation.JsonUnwrapped;
import io.wxim.history.message.StoredMessage;

/**
 * The answer to a recall: the recalled message's fields at the top level (as before recall notices existed, so an
 * older chat-service still reads it) and the recall notice under {@code notice}.
 */
record RecallAnswer(@JsonUnwrapped StoredMessage target, StoredMessage notice) {
}
