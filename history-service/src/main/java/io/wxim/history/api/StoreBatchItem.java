package io.wxim.history.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.wxim.history.message.StoredMessage;

/**
 * One answer of {@code POST /internal/messages/batch}: {@code status} 200 with the stored {@code message}, or the
 * status and detail {@code POST /internal/messages} would have answered for that message alone.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
record StoreBatchItem(int status, StoredMessage message, String detail) {
}
