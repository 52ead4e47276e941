package io.wxim.chat.read;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.scheduler.Schedulers;

/**
 * Moves a sender's read cursor to the message just sent (one's own messages are not unread), with group commit:
 * while one bulk write runs, the moves that arrive are merged (highest seq per cursor) and written together by the
 * next one. An idle instance writes a move at once; a busy one writes one bulk per round instead of one
 * findAndModify per message. Each caller completes when the write that carries its move completed.
 */
@Component
public class SenderCursors {
    private final ReadCursorRepository cursors;
    private final Object lock = new Object();
    private Map<String, ReadCursorRepository.Move> pending = new HashMap<>();
    private List<MonoSink<Void>> waiting = new ArrayList<>();
    private boolean writing;

    public SenderCursors(ReadCursorRepository cursors) {
        this.cursors = cursors;
    }

    public Mono<Void> advance(String conv, String userId, long seq) {
        return Mono.create(sink -> {
            ReadCursorRepository.Move move = new ReadCursorRepository.Move(conv, userId, seq);
            boolean start;
            synchronized (lock) {
                pending.merge(move.id(), move, (a, b) -> a.seq() >= b.seq() ? a : b);
                waiting.add(sink);
                start = !writing;
                writing = true;
            }
            if (start) {
                writeNext();
            }
        });
    }

    private void writeNext() {
        Map<String, ReadCursorRepository.Move> batch;
        List<MonoSink<Void>> sinks;
        synchronized (lock) {
            if (pending.isEmpty()) {
                writing = false;
                return;
            }
            batch = pending;
            sinks = waiting;
            pending = new HashMap<>();
            waiting = new ArrayList<>();
        }
        // bounded: advanceAll times out with the Mongo timeout, so the next round always comes
        cursors.advanceAll(batch.values()).subscribe(null, error -> {
            sinks.forEach(s -> s.error(error));
            Schedulers.parallel().schedule(this::writeNext);
        }, () -> {
            sinks.forEach(MonoSink::success);
            Schedulers.parallel().schedule(this::writeNext);
        });
    }
}
