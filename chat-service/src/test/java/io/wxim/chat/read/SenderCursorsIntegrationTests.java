package io.wxim.chat.read;

import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.chat.config.ChatProperties;
import io.wxim.testinfra.TestMongo;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** Sender cursor moves written together under load, never backwards, against a real MongoDB-compatible server. */
class SenderCursorsIntegrationTests {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    @RegisterExtension
    static final TestMongo MONGO = new TestMongo("im_chat_test_cursors_");

    @Test
    void writesConcurrentMovesInFewBulks_keepingTheHighestSeqPerCursor() {
        AtomicInteger bulks = new AtomicInteger();
        ReadCursorRepository repository = new ReadCursorRepository(MONGO.template(), ChatProperties.defaults()) {
            @Override
            public Mono<Void> advanceAll(Collection<Move> moves) {
                bulks.incrementAndGet();
                return super.advanceAll(moves);
            }
        };
        SenderCursors cursors = new SenderCursors(repository);
        // 300 moves over 10 users x 3 conversations, seqs in shuffled order (as concurrent sends complete).
        List<Integer> order = new java.util.ArrayList<>(java.util.stream.IntStream.range(0, 300).boxed().toList());
        java.util.Collections.shuffle(order, new java.util.Random(7));

        StepVerifier.create(Flux.fromIterable(order)
                        .flatMap(i -> cursors.advance("r:c" + (i % 3), "u" + (i % 10), i + 1), 300)
                        .then())
                .expectComplete()
                .verify(TIMEOUT);

        assertThat(bulks.get()).as("bulk writes for 300 moves").isLessThan(100);
        for (int u = 0; u < 10; u++) {
            Map<String, Long> mine = repository.cursors("u" + u, List.of("r:c0", "r:c1", "r:c2")).block(TIMEOUT);
            for (int c = 0; c < 3; c++) {
                long expected = 0;
                for (int i = 0; i < 300; i++) {
                    if (i % 3 == c && i % 10 == u) {
                        expected = Math.max(expected, i + 1);
                    }
                }
                if (expected > 0) {
                    assertThat(mine.get("r:c" + c)).as("u%d in r:c%d", u, c).isEqualTo(expected);
                }
            }
        }

        // A later, lower move never moves a cursor back.
        StepVerifier.create(cursors.advance("r:c0", "u0", 1)).expectComplete().verify(TIMEOUT);
        assertThat(repository.cursors("u0", List.of("r:c0")).block(TIMEOUT).get("r:c0")).isEqualTo(271L); // i = 270: the highest i with i % 3 == 0 and i % 10 == 0
    }
}
