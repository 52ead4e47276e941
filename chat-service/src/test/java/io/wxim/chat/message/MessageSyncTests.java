package io.wxim.chat.message;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.wxim.chat.config.ChatProperties;
import io.wxim.chat.room.KnownMembers;
import io.wxim.chat.room.RoomRepository;
import io.wxim.chat.room.RoomService;
import io.wxim.protocol.ClientFrame;
import io.wxim.protocol.ErrorCode;
import io.wxim.protocol.ServerFrame;
import io.wxim.protocol.UserRef;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Mono;

/** {@code sync} reads history only for the conversations the client is behind on (the last seqs tell). */
class MessageSyncTests {
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final UserRef ALICE = new UserRef("alice", "Alice", null);
    private final List<String> historyReads = new CopyOnWriteArrayList<>();
    private final ChatProperties props = ChatProperties.defaults();
    private final HistoryClient history = new HistoryClient(WebClient.builder(), props, new SimpleMeterRegistry()) {
        @Override
        public Mono<Page> after(String conv, long afterSeq, int limit) {
            historyReads.add(conv + ">" + afterSeq);
            return Mono.just(new Page(conv, List.of(new ServerFrame.Message(conv, afterSeq + 1, "m", ALICE, "c", "text",
                    "hi", 1L, null, null)), false));
        }
    };
    private final RoomService rooms = new RoomService(new RoomRepository(null, props) {
        @Override
        public Mono<Boolean> isMember(String conv, String userId) {
            return Mono.just(conv.equals("r:mine"));
        }
    }, props, Clock.systemUTC(), KnownMembers.local(Duration.ofSeconds(10), System::nanoTime));

    private MessageService service(LastSeqs lastSeqs) {
        return new MessageService(rooms, null, null, null, history, null, lastSeqs, null, props, Clock.systemUTC(),
                new SimpleMeterRegistry());
    }

    @Test
    void answersUpToDateConversationsWithoutAHistoryRead() {
        MessageService service = service(new LastSeqs(convs -> Mono.just(Map.of("r:lobby", 5L, "r:mine", 9L))));
        List<ServerFrame> frames = service.sync(ALICE, new ClientFrame.Sync("s1",
                Map.of("r:lobby", 5L, "r:mine", 7L, "r:empty", 0L, "r:other", 0L), null)).block(WAIT);

        assertThat(historyReads).containsExactly("r:mine>7");
        assertThat(frames).hasSize(4);
        // conv order: r:empty and r:other are not the user's (404 as before), r:lobby is up to date, r:mine is behind
        // an error for one conversation names it (an error without conv is the whole sync's)
        assertThat(frames.get(0)).isEqualTo(
                ServerFrame.Error.ofConversation("s1", "r:empty", ErrorCode.NOT_FOUND, "no such conversation: r:empty"));
        assertThat(frames.get(1)).isEqualTo(new ServerFrame.Synced("s1", "r:lobby", List.of(), false));
        assertThat(frames.get(2)).isInstanceOfSatisfying(ServerFrame.Synced.class, s -> {
            assertThat(s.conv()).isEqualTo("r:mine");
            assertThat(s.messages()).extracting(ServerFrame.Message::seq).containsExactly(8L);
        });
        assertThat(frames.get(3)).isInstanceOfSatisfying(ServerFrame.Error.class, e -> assertThat(e.conv()).isEqualTo("r:other"));
    }

    @Test
    void readsEveryConversationWhenTheLastSeqsCannotBeRead() {
        MessageService service = service(new LastSeqs(convs -> Mono.error(new IllegalStateException("history down"))));
        List<ServerFrame> frames = service.sync(ALICE, new ClientFrame.Sync("s2", Map.of("r:lobby", 5L), null)).block(WAIT);

        assertThat(historyReads).containsExactly("r:lobby>5");
        assertThat(frames).singleElement().isInstanceOfSatisfying(ServerFrame.Synced.class,
                s -> assertThat(s.messages()).hasSize(1));
    }
}
