package io.wxim.chat.routing;

import io.wxim.chat.direct.PeersRepository;
import io.wxim.protocol.Conversations;
import io.wxim.protocol.ServerFrame;
import java.util.List;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Delivers a frame to every member of a conversation: a room through its channel (gateways with members subscribe
 * to it), a direct or pair conversation to both users' connections wherever they are (no subscription to set up, so
 * a new direct conversation reaches the recipient at once, on every device).
 */
@Component
public class MemberDeliveries {
    private final Deliveries deliveries;
    private final PeersRepository peers;

    public MemberDeliveries(Deliveries deliveries, PeersRepository peers) {
        this.deliveries = deliveries;
        this.peers = peers;
    }

    public Mono<Void> toMembers(String conv, ServerFrame frame) {
        if (Conversations.isRoom(conv)) {
            return deliveries.toConversation(conv, frame);
        }
        return peers.find(conv).flatMap(p -> deliveries.toUsers(p.users(), null, List.of(frame)));
    }
}
