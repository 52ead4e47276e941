package io.wxim.chat.presence;

import io.wxim.chat.config.ChatProperties;
import io.wxim.chat.config.PeriodicTask;
import io.wxim.chat.routing.Deliveries;
import io.wxim.protocol.ServerFrame;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Announces users coming online and going offline to their rooms without the N^2 cost in crowded rooms: while a room
 * has at most {@code threshold} members online each change goes out with the user (the frame the caller built);
 * above it the room is only marked, and every {@code interval} each marked room gets one {@code online} frame with
 * its count read from Redis at that moment (so a burst of a thousand connects costs one frame per room and second).
 * Runs in every chat instance; each flushes the rooms it marked.
 */
@Component
public class CrowdPresence extends PeriodicTask {
    private final Deliveries deliveries;
    private final PresenceRepository presence;
    private final int threshold;
    private final Set<String> marked = ConcurrentHashMap.newKeySet();

    public CrowdPresence(Deliveries deliveries, PresenceRepository presence, ChatProperties props) {
        super("crowd presence flush", props.crowd().interval());
        this.deliveries = deliveries;
        this.presence = presence;
        this.threshold = props.crowd().threshold();
    }

    /** Announces {@code perUser} to {@code conv} now, or, with more than the threshold online, a count soon. */
    public Mono<Void> announce(String conv, long online, ServerFrame perUser) {
        if (online <= threshold) {
            return deliveries.toConversation(conv, perUser);
        }
        marked.add(conv);
        return Mono.empty();
    }

    /** Marks a crowded room whose count changed (announced by a script already, for rooms below the threshold). */
    public void mark(String conv) {
        marked.add(conv);
    }

    @Override
    protected Mono<Void> runOnce() {
        return flush();
    }

    /** Sends one {@code online} frame to each marked room (count read now) and unmarks it. */
    Mono<Void> flush() {
        if (marked.isEmpty()) {
            return Mono.empty();
        }
        List<String> convs = new ArrayList<>(marked);
        convs.forEach(marked::remove); // a room marked again meanwhile is flushed next time: nothing is lost
        return presence.onlineCounts(convs).collectList()
                .flatMapMany(counts -> Flux.range(0, convs.size())
                        .concatMap(i -> deliveries.toConversation(convs.get(i),
                                new ServerFrame.Online(convs.get(i), counts.get(i)))))
                .then();
    }
}
