package io.wxim.history.api;

import io.wxim.history.config.HistoryProperties;
import io.wxim.history.message.InvalidRequestException;
import io.wxim.history.message.MessagePage;
import io.wxim.history.message.MessageService;
import io.wxim.history.message.PageQuery;
import io.wxim.history.message.StoredMessage;
import io.wxim.protocol.Conversations;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The internal API, called by chat-service only. It has no token check: the gateway never routes {@code /internal/**},
 * and the network policy (k8s NetworkPolicy / compose network) must keep this port unreachable from outside.
 */
@RestController
@RequestMapping("/internal")
class InternalMessageController {
    /** Parallel reads for one last-seqs request: enough to hide latency, small enough to be fair to others. */
    private static final int LAST_SEQ_CONCURRENCY = 16;

    private final MessageService messages;
    private final HistoryProperties props;

    InternalMessageController(MessageService messages, HistoryProperties props) {
        this.messages = messages;
        this.props = props;
    }

    @PostMapping("/messages")
    Mono<StoredMessage> store(@RequestBody StoreMessageRequest request) {
        return messages.store(request.toNewMessage(props.maxBodyLength()));
    }

    @GetMapping("/conversations/{conv}/messages")
    Mono<MessagePage> sync(@PathVariable String conv, @RequestParam(required = false) Long after,
                           @RequestParam(required = false) Integer limit) {
        requireConv(conv);
        PageQuery query = PageQuery.after(after, limit, props.syncPageSize(), props.maxPageSize());
        return messages.page(conv, query);
    }

    @PostMapping("/last-seqs")
    Mono<Map<String, Long>> lastSeqs(@RequestBody LastSeqsRequest request) {
        List<String> convs = request.convs();
        if (convs == null) {
            throw new InvalidRequestException("convs is required");
        }
        if (convs.size() > props.maxLastSeqConversations()) {
            throw new InvalidRequestException("at most " + props.maxLastSeqConversations() + " convs per request");
        }
        convs.forEach(InternalMessageController::requireConv);
        List<String> unique = List.copyOf(new LinkedHashSet<>(convs));
        return Flux.fromIterable(unique)
                .flatMapSequential(conv -> messages.lastSeq(conv).map(seq -> Map.entry(conv, seq)), LAST_SEQ_CONCURRENCY)
                .collect(LinkedHashMap::new, (map, e) -> map.put(e.getKey(), e.getValue()));
    }

    private static void requireConv(String conv) {
        if (!Conversations.isValid(conv)) {
            throw new InvalidRequestException("conv must match [rdp]:[A-Za-z0-9_-]{1,64}");
        }
    }
}
