package io.wxim.chat.message;

import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.protocol.ClientFrame;
import io.wxim.protocol.ErrorCode;
import io.wxim.protocol.ProtocolException;
import io.wxim.protocol.UserRef;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

class HistoryStoresTests {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final UserRef ALICE = new UserRef("ua", "Alice", null);
    private final List<List<String>> calls = new CopyOnWriteArrayList<>();

    /** A store that takes 20 ms per request and answers seq = position in the request + 1; cmid "media" gets 404. */
    private Mono<List<HistoryClient.BatchItem>> slowStore(List<HistoryClient.StoreRequest> requests) {
        calls.add(requests.stream().map(HistoryClient.StoreRequest::cmid).toList());
        List<HistoryClient.BatchItem> items = new ArrayList<>();
        for (int i = 0; i < requests.size(); i++) {
            HistoryClient.StoreRequest r = requests.get(i);
            items.add(r.cmid().equals("media") ? new HistoryClient.BatchItem(404, null, "media not found")
                    : new HistoryClient.BatchItem(200, new HistoryClient.Stored(r.conv(), i + 1, "id" + r.cmid(),
                            r.from(), r.cmid(), "text", r.body(), 1L, false, false, null), null));
        }
        return Mono.delay(Duration.ofMillis(20)).thenReturn(items);
    }

    private static ClientFrame.Send send(String cmid) {
        return new ClientFrame.Send(null, cmid, "r:room", null, "text", "hello " + cmid, null, null);
    }

    @Test
    void sendsWhatArrivesDuringARequestInTheNextOne_andAnswersEachSendWithItsOwnItem() {
        HistoryStores stores = new HistoryStores(this::slowStore);

        StepVerifier.create(Flux.range(0, 100).flatMap(i -> stores.store("r:room", ALICE, send("c" + i))
                        .map(HistoryClient.Stored::cmid), 100).collectList())
                .assertNext(cmids -> assertThat(cmids).hasSize(100).doesNotHaveDuplicates())
                .expectComplete()
                .verify(TIMEOUT);
        assertThat(calls).as("100 sends took far fewer requests").hasSizeLessThan(30);
        assertThat(calls.stream().flatMap(List::stream).toList()).as("each send stored once")
                .containsExactlyInAnyOrderElementsOf(java.util.stream.IntStream.range(0, 100).mapToObj(i -> "c" + i).toList());
        for (List<String> call : calls) { // arrival order within a request
            List<Integer> numbers = call.stream().map(c -> Integer.parseInt(c.substring(1))).toList();
            assertThat(numbers).isSorted();
        }
        assertThat(calls.stream().mapToInt(List::size).max().orElse(0)).as("later sends went together").isGreaterThan(1);
    }

    @Test
    void failsOnlyTheSendWhoseItemFailed_andEverySendWhenTheRequestFails() {
        HistoryStores stores = new HistoryStores(this::slowStore);
        StepVerifier.create(Flux.merge(stores.store("r:room", ALICE, send("ok1")).map(HistoryClient.Stored::cmid),
                        stores.store("r:room", ALICE, send("media")).map(HistoryClient.Stored::cmid)
                                .onErrorResume(ProtocolException.class, e -> Mono.just(e.code().name())),
                        stores.store("r:room", ALICE, send("ok2")).map(HistoryClient.Stored::cmid)).collectList())
                .assertNext(r -> assertThat(r).containsExactlyInAnyOrder("ok1", ErrorCode.NOT_FOUND.name(), "ok2"))
                .expectComplete()
                .verify(TIMEOUT);

        HistoryStores broken = new HistoryStores(requests -> Mono.error(
                new ProtocolException(ErrorCode.UNAVAILABLE, "message store unavailable, retry")));
        StepVerifier.create(broken.store("r:room", ALICE, send("x")))
                .expectErrorSatisfies(e -> assertThat(((ProtocolException) e).code()).isEqualTo(ErrorCode.UNAVAILABLE))
                .verify(TIMEOUT);
        StepVerifier.create(broken.store("r:room", ALICE, send("y"))) // the next round still comes
                .expectError(ProtocolException.class)
                .verify(TIMEOUT);
    }
}
