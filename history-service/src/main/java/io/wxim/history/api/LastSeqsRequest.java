package io.wxim.history.api;

import java.util.List;

/** Body of {@code POST /internal/last-seqs} and {@code POST /internal/last-messages}. */
record LastSeqsRequest(List<String> convs) {
}
