package io.wxim.chat.read;

import io.wxim.chat.config.GroupCommit;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Moves a sender's read cursor to the message just sent (one's own messages are not unread), with group commit
 * ({@link GroupCommit}, one write at a time): while one bulk write runs, the moves that arrive are merged (highest
 * seq per cursor) and written together by the next one. An idle instance writes a move at once; a busy one writes
 * one bulk per round instead of one findAndModify per message. Each caller completes when the write that carries its
 * move completed.
 */
@Component
public class SenderCursors {
    private static final int MAX_BATCH = 1000;

    private final ReadCursorRepository cursors;
    private final GroupCommit<ReadCursorRepository.Move, Boolean> commits;

    public SenderCursors(ReadCursorRepository cursors) {
        this.cursors = cursors;
        this.commits = new GroupCommit<>(this::write, MAX_BATCH, 1);
    }

    public Mono<Void> advance(String conv, String userId, long seq) {
        return commits.submit(new ReadCursorRepository.Move(conv, userId, seq)).then();
    }

    /** One bulk write of the highest move per cursor; bounded: advanceAll times out with the Mongo timeout. */
    private Mono<List<Boolean>> write(List<ReadCursorRepository.Move> moves) {
        Map<String, ReadCursorRepository.Move> highest = new HashMap<>();
        moves.forEach(move -> highest.merge(move.id(), move, (a, b) -> a.seq() >= b.seq() ? a : b));
        return cursors.advanceAll(highest.values()).thenReturn(Collections.nCopies(moves.size(), Boolean.TRUE));
    }
}
