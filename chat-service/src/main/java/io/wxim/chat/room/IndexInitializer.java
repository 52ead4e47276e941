package io.wxim.chat.room;

import java.time.Duration;
import org.springframework.boot.context.event.ApplicationStartedEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/** Creates chat-service's Mongo indexes once at startup (blocking is fine here: no event loop is serving yet). */
@Component
class IndexInitializer {
    private final RoomRepository rooms;

    IndexInitializer(RoomRepository rooms) {
        this.rooms = rooms;
    }

    @EventListener(ApplicationStartedEvent.class)
    void createIndexes() {
        rooms.ensureIndexes().block(Duration.ofSeconds(30));
    }
}
