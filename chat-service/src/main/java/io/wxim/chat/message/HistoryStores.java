package io.wxim.chat.message;

import io.wxim.protocol.ClientFrame;
import io.wxim.protocol.UserRef;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.scheduler.Schedulers;

/**
 * Stores messages in history-service with group commit: up to {@link #MAX_IN_FLIGHT} requests run at once; while
 * they do, the sends that arrive wait and then go together in the next request (at most {@link #MAX_BATCH}). A
 * lightly loaded instance sends each message at once; a busy one makes a few requests per round instead of one per
 * message. Messages keep their arrival order in a batch and history-service stores a batch's items in that order;
 * two requests in flight hold sends of different connections only (a connection has one command in flight), whose
 * relative order is not defined anyway. Each send completes with its own item's answer.
 */
@Component
public class HistoryStores {
    static final int MAX_BATCH = 128;
    static final int MAX_IN_FLIGHT = 4;

    private record Pending(HistoryClient.StoreRequest request, MonoSink<HistoryClient.Stored> sink) {
    }

    private final Function<List<HistoryClient.StoreRequest>, Mono<List<HistoryClient.BatchItem>>> storeAll;
    private final Object lock = new Object();
    private List<Pending> waiting = new ArrayList<>();
    private int inFlight;

    @Autowired
    public HistoryStores(HistoryClient history) {
        this(history::storeAll);
    }

    HistoryStores(Function<List<HistoryClient.StoreRequest>, Mono<List<HistoryClient.BatchItem>>> storeAll) {
        this.storeAll = storeAll;
    }

    /**
     * Stores a message of the send's kind in {@code conv}: NOT_FOUND if its media does not exist or is not the
     * sender's, BAD_REQUEST if the media is of another kind, UNAVAILABLE when the store cannot answer.
     */
    public Mono<HistoryClient.Stored> store(String conv, UserRef from, ClientFrame.Send send) {
        return Mono.create(sink -> {
            Pending pending = new Pending(new HistoryClient.StoreRequest(conv, from, send.cmid(), send.kind(),
                    send.body(), send.media(), send.duration()), sink);
            boolean start;
            synchronized (lock) {
                waiting.add(pending);
                start = inFlight < MAX_IN_FLIGHT;
                if (start) {
                    inFlight++;
                }
            }
            if (start) {
                sendNext();
            }
        });
    }

    private void sendNext() {
        List<Pending> batch;
        synchronized (lock) {
            if (waiting.isEmpty()) {
                inFlight--;
                return;
            }
            if (waiting.size() <= MAX_BATCH) {
                batch = waiting;
                waiting = new ArrayList<>();
            } else {
                batch = new ArrayList<>(waiting.subList(0, MAX_BATCH));
                waiting.subList(0, MAX_BATCH).clear();
            }
        }
        // bounded: every history call has a timeout (and bounded retries), so the next round always comes
        Mono.defer(() -> storeAll.apply(batch.stream().map(Pending::request).toList())).subscribe(items -> {
            for (int i = 0; i < batch.size(); i++) {
                HistoryClient.BatchItem item = i < items.size() ? items.get(i) : null;
                MonoSink<HistoryClient.Stored> sink = batch.get(i).sink();
                if (item != null && item.status() == 200 && item.message() != null) {
                    sink.success(item.message());
                } else {
                    sink.error(HistoryClient.storeFailure(item == null ? new HistoryClient.BatchItem(500, null, null)
                            : item));
                }
            }
        }, error -> {
            batch.forEach(p -> p.sink().error(error));
            Schedulers.parallel().schedule(this::sendNext);
        }, () -> Schedulers.parallel().schedule(this::sendNext));
    }
}
