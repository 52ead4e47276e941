package io.wxim.chat.message;

import io.wxim.chat.config.GroupCommit;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * The newest {@code seq} of conversations for welcomes, read from history-service in shared requests
 * ({@link GroupCommit}): up to {@link #MAX_IN_FLIGHT} requests at once; connections that start meanwhile wait and are
 * answered together by the next one (their conversations merged; in a reconnect storm they overlap: the lobby). A quiet
 * instance reads at once, as before. A read is never older than the request that asked for it (it is sent after), so
 * a welcome's seqs are as fresh as with one request per connection. Only connections with at most
 * {@link #MAX_SHARED} conversations share (a batch then asks for at most {@code MAX_BATCH * MAX_SHARED} ids, and what
 * rarely overlaps, a user's many direct chats, does not make 31 other welcomes wait); larger ones read on their own.
 */
@Component
public class LastSeqs {
    static final int MAX_BATCH = 32;
    static final int MAX_IN_FLIGHT = 2;
    static final int MAX_SHARED = 50;

    private final Function<Collection<String>, Mono<Map<String, Long>>> read;
    private final GroupCommit<List<String>, Map<String, Long>> reads;

    @Autowired
    public LastSeqs(HistoryClient history) {
        this(history::lastSeqs);
    }

    LastSeqs(Function<Collection<String>, Mono<Map<String, Long>>> read) {
        this.read = read;
        this.reads = new GroupCommit<>(batch -> {
            Set<String> all = new LinkedHashSet<>();
            batch.forEach(all::addAll);
            return read.apply(all).map(seqs -> batch.stream().map(convs -> only(seqs, convs)).toList());
        }, MAX_BATCH, MAX_IN_FLIGHT);
    }

    /** Last seq by conversation, for those of {@code convs} that have messages. */
    public Mono<Map<String, Long>> of(Collection<String> convs) {
        if (convs.isEmpty()) {
            return Mono.just(Map.of());
        }
        return convs.size() > MAX_SHARED ? Mono.defer(() -> read.apply(convs)) : reads.submit(List.copyOf(convs));
    }

    private static Map<String, Long> only(Map<String, Long> seqs, List<String> convs) {
        Map<String, Long> mine = new LinkedHashMap<>();
        for (String conv : convs) {
            Long seq = seqs.get(conv);
            if (seq != null) {
                mine.put(conv, seq);
            }
        }
        return mine;
    }
}
