package io.wxim.history.api;

import io.wxim.history.media.MediaUrls;
import io.wxim.history.config.HistoryProperties;
import io.wxim.history.membership.ChatMembershipClient;
import io.wxim.history.message.MessagePage;
import io.wxim.history.message.MessageService;
import io.wxim.history.message.PageQuery;
import io.wxim.protocol.Conversations;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * The public history API behind the gateway ({@code /api/**}): a verified JWT is required, and only members of the
 * conversation (asked of chat-service) may read it. A malformed id and a non-member get the same 404.
 */
@RestController
class HistoryController {
    private static final Logger log = LoggerFactory.getLogger(HistoryController.class);

    private final MessageService messages;
    private final ChatMembershipClient membership;
    private final HistoryProperties props;
    private final MediaUrls urls;

    HistoryController(MessageService messages, ChatMembershipClient membership, HistoryProperties props, MediaUrls urls) {
        this.urls = urls;
        this.messages = messages;
        this.membership = membership;
        this.props = props;
    }

    @GetMapping("/api/history/{conv}")
    Mono<MessagePage> history(@PathVariable String conv, @RequestParam(required = false) Long after,
                              @RequestParam(required = false) Long before,
                              @RequestParam(required = false) Integer limit,
                              @AuthenticationPrincipal Jwt jwt) {
        PageQuery query = PageQuery.of(after, before, limit, props.historyPageSize(), props.maxPageSize());
        if (!Conversations.isValid(conv) || jwt.getSubject() == null || jwt.getSubject().isBlank()) {
            return Mono.error(new ConversationNotFoundException());
        }
        String userId = jwt.getSubject();
        return membership.isMember(conv, userId)
                .flatMap(member -> {
                    if (!member) {
                        log.debug("history denied conversationId={} userId={}", conv, userId);
                        return Mono.error(new ConversationNotFoundException());
                    }
                    return messages.page(conv, query).map(urls::present);
                });
    }
}
