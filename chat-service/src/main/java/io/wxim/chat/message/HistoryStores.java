package io.wxim.chat.message;

import io.wxim.chat.config.GroupCommit;
import io.wxim.protocol.ClientFrame;
import io.wxim.protocol.ErrorCode;
import io.wxim.protocol.ProtocolException;
import io.wxim.protocol.UserRef;
import java.util.List;
import java.util.function.Function;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Stores messages in history-service with group commit ({@link GroupCommit}): up to {@link #MAX_IN_FLIGHT} requests
 * run at once; while they do, the sends that arrive wait and then go together in the next request (at most
 * {@link #MAX_BATCH}). A lightly loaded instance sends each message at once; a busy one makes a few requests per
 * round instead of one per message. Messages keep their arrival order in a batch and history-service stores a batch's
 * items in that order; two requests in flight hold sends of different connections only (a connection has one command
 * in flight), whose relative order is not defined anyway. Each send completes with its own item's answer.
 */
@Component
public class HistoryStores {
    static final int MAX_BATCH = 128;
    static final int MAX_IN_FLIGHT = 4;

    private final GroupCommit<HistoryClient.StoreRequest, HistoryClient.BatchItem> commits;

    @Autowired
    public HistoryStores(HistoryClient history) {
        this(history::storeAll);
    }

    HistoryStores(Function<List<HistoryClient.StoreRequest>, Mono<List<HistoryClient.BatchItem>>> storeAll) {
        this.commits = new GroupCommit<>(storeAll, MAX_BATCH, MAX_IN_FLIGHT);
    }

    /**
     * Stores a message of the send's kind in {@code conv}: NOT_FOUND if its media does not exist or is not the
     * sender's, BAD_REQUEST if the media is of another kind, UNAVAILABLE when the store cannot answer.
     */
    public Mono<HistoryClient.Stored> store(String conv, UserRef from, ClientFrame.Send send) {
        return commits.submit(new HistoryClient.StoreRequest(conv, from, send.cmid(), send.kind(), send.body(),
                        send.media(), send.duration()))
                .onErrorMap(e -> !(e instanceof ProtocolException),
                        e -> new ProtocolException(ErrorCode.UNAVAILABLE, "message store unavailable, retry"))
                .flatMap(item -> item.status() == 200 && item.message() != null ? Mono.just(item.message())
                        : Mono.error(HistoryClient.storeFailure(item)));
    }
}
