package io.wxim.history.api;

import java.util.List;

/** Body of {@code POST /internal/messages/batch}: several stores at once, answered item by item in this order. */
record StoreBatchRequest(List<StoreMessageRequest> messages) {
}
