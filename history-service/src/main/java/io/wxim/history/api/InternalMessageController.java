package io.wxim.history.api;

import io.wxim.history.config.HistoryProperties;
import io.wxim.history.message.InvalidRequestException;
import io.wxim.history.message.MessagePage;
import io.wxim.history.message.MessageService;
import io.wxim.history.message.PageQuery;
import io.wxim.history.media.MediaUrls;
import io.wxim.history.message.StoredMessage;
import io.wxim.protocol.Conversations;
import io.wxim.protocol.ServerFrame;
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
    /** Parallel reads for one last-seqs/last-messages request: enough to hide latency, small enough to be fair to others. */
    private static final int LAST_SEQ_CONCURRENCY = 16;
    /** Most messages in one batch store request. */
    static final int MAX_BATCH = 256;

    private final MessageService messages;
    private final HistoryProperties props;
    private final MediaUrls urls;
    private final ApiExceptionHandler errors;

    InternalMessageController(MessageService messages, HistoryProperties props, MediaUrls urls,
                              ApiExceptionHandler errors) {
        this.errors = errors;
        this.messages = messages;
        this.props = props;
        this.urls = urls;
    }

    @PostMapping("/messages")
    Mono<StoredMessage> store(@RequestBody StoreMessageRequest request) {
        return messages.store(request.toNewMessage(props.maxBodyLength())).map(urls::present);
    }

    /**
     * Stores up to {@link #MAX_BATCH} messages in one request (chat-service sends what arrived while its previous
     * request was in flight). Items are handed to the store in order, so messages of one conversation keep their
     * order; each answers what {@code POST /internal/messages} would have answered for it alone.
     */
    @PostMapping("/messages/batch")
    Mono<List<StoreBatchItem>> storeBatch(@RequestBody StoreBatchRequest request) {
        if (request.messages() == null || request.messages().isEmpty() || request.messages().size() > MAX_BATCH) {
            throw new InvalidRequestException("messages must hold 1-" + MAX_BATCH + " items");
        }
        return Flux.fromIterable(request.messages())
                .flatMapSequential(item -> Mono.defer(() -> store(item))
                        .map(stored -> new StoreBatchItem(200, stored, null))
                        .onErrorResume(e -> {
                            var answer = errors.answerFor(e);
                            var body = answer.getBody();
                            return Mono.just(new StoreBatchItem(answer.getStatusCode().value(), null,
                                    body == null ? null : body.getDetail()));
                        }), MAX_BATCH)
                .collectList();
    }

    @GetMapping("/conversations/{conv}/messages")
    Mono<MessagePage> sync(@PathVariable String conv, @RequestParam(required = false) Long after,
                           @RequestParam(required = false) Integer limit) {
        requireConv(conv);
        PageQuery query = PageQuery.after(after, limit, props.syncPageSize(), props.maxPageSize());
        return messages.page(conv, query).map(urls::present);
    }

    /**
     * Recalls a message for its sender: 200 with the recalled message and, under {@code notice}, the recall notice
     * stored after it; 404, 403, 409 (a notice) or 410 (see MessageService#recall).
     */
    @PostMapping("/conversations/{conv}/messages/{seq}/recall")
    Mono<RecallAnswer> recall(@PathVariable String conv, @PathVariable long seq, @RequestBody RecallRequest request) {
        requireConv(conv);
        if (seq < 1) {
            throw new InvalidRequestException("seq must be at least 1");
        }
        if (request == null) {
            throw new InvalidRequestException("body is required");
        }
        RecallRequest valid = request.validate();
        return messages.recall(conv, seq, valid.recaller(), valid.notBefore())
                .map(done -> new RecallAnswer(urls.present(done.target()), done.notice()));
    }

    @PostMapping("/last-seqs")
    Mono<Map<String, Long>> lastSeqs(@RequestBody LastSeqsRequest request) {
        return Flux.fromIterable(requireConvs(request))
                .flatMapSequential(conv -> messages.lastSeq(conv).map(seq -> Map.entry(conv, seq)), LAST_SEQ_CONCURRENCY)
                .collect(LinkedHashMap::new, (map, e) -> map.put(e.getKey(), e.getValue()));
    }

    /** The newest message of each conversation that has one; empty conversations are left out. */
    @PostMapping("/last-messages")
    Mono<Map<String, ServerFrame.Message>> lastMessages(@RequestBody LastSeqsRequest request) {
        return Flux.fromIterable(requireConvs(request))
                .flatMapSequential(conv -> messages.newest(conv).map(m -> Map.entry(conv, urls.present(m.toFrame()))),
                        LAST_SEQ_CONCURRENCY)
                .collect(LinkedHashMap::new, (map, e) -> map.put(e.getKey(), e.getValue()));
    }

    /** The distinct convs of a last-seqs/last-messages request, in request order; 400 unless all valid and few enough. */
    private List<String> requireConvs(LastSeqsRequest request) {
        List<String> convs = request == null ? null : request.convs();
        if (convs == null) {
            throw new InvalidRequestException("convs is required");
        }
        if (convs.size() > props.maxLastSeqConversations()) {
            throw new InvalidRequestException("at most " + props.maxLastSeqConversations() + " convs per request");
        }
        convs.forEach(InternalMessageController::requireConv);
        return List.copyOf(new LinkedHashSet<>(convs));
    }

    private static void requireConv(String conv) {
        if (!Conversations.isValid(conv)) {
            throw new InvalidRequestException("conv must match [rdp]:[A-Za-z0-9_-]{1,64}");
        }
    }
}
