package io.wxim.chat.conversation;

import java.util.List;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/** {@code GET /api/chat/conversations}: the signed-in user's conversation list (identity from the verified JWT only). */
@RestController
class ConversationListController {
    record ConversationList(List<ConversationSummary> conversations) {
    }

    private final ConversationListService conversations;

    ConversationListController(ConversationListService conversations) {
        this.conversations = conversations;
    }

    @GetMapping("/api/chat/conversations")
    Mono<ConversationList> list(@AuthenticationPrincipal Jwt jwt) {
        return conversations.list(jwt.getSubject()).map(ConversationList::new);
    }
}
