package io.wxim.history.api;

import java.util.List;

/** Body of {@code POST /internal/last-seqs}. */
record LastSeqsRequest(List<String> convs) {
}
