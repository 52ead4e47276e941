package io.wxim.chat.room;

import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * Internal membership check for other services (history-service authorizes history reads with it).
 * Not routed by the gateway; network policy keeps {@code /internal/**} private.
 */
@RestController
class MembershipController {
    private final RoomService rooms;

    MembershipController(RoomService rooms) {
        this.rooms = rooms;
    }

    @GetMapping("/internal/conversations/{conv}/members/{userId}")
    Mono<ResponseEntity<Void>> isMember(@PathVariable String conv, @PathVariable String userId) {
        return rooms.isMember(conv, userId).map(member -> member
                ? ResponseEntity.noContent().<Void>build()
                : ResponseEntity.notFound().<Void>build());
    }
}
