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
 * The crowded half of presence: users coming online and going offline are announced to their rooms with the user
 * while a room has at most {@code im.chat.crowd.threshold} members online, by the script that makes the change
 * ({@code lib/announce.lua}); above it the script returns the room and it is marked here, and every {@code interval}
 * each marked room gets one {@code online} frame with its count read from Redis at that moment (so a burst of a
 * thousand connects costs one frame per room and second). Runs in every chat instance; each flushes the rooms it
 * marked.
 */
@Component
public class CrowdPresence extends PeriodicTask {
    private final Deliveries deliveries;
    private final PresenceRepository presence;
    private final Set<String> marked = ConcurrentHashMap.newKeySet();

    public CrowdPresence(Deliveries deliveries, PresenceRepository presence, ChatProperties props) {
        super("crowd presence flush", props.crowd().interval());
        this.deliveries = deliveries;
        this.presence = presence;
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
