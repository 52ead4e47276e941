package io.wxim.chat.conversation;

import io.wxim.chat.config.ApiErrors;
import io.wxim.protocol.ErrorCode;
import io.wxim.protocol.ProtocolException;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.core.MethodParameter;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.BindingContext;
import org.springframework.web.reactive.result.method.HandlerMethodArgumentResolver;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/** {@code GET /api/chat/conversations} when what it reads does not answer: 503 with Retry-After, not a 500. */
@Timeout(30)
class ConversationListErrorsTests {

    private static WebTestClient failingWith(Supplier<Throwable> error) {
        ConversationListService failing = new ConversationListService(null, null, null, null, null, null) {
            @Override
            public Mono<List<ConversationSummary>> list(String userId) {
                return Mono.error(error.get());
            }
        };
        return WebTestClient.bindToController(new ConversationListController(failing))
                .controllerAdvice(new ApiErrors())
                .argumentResolvers(resolvers -> resolvers.addCustomResolver(new SignedIn("u1")))
                .build();
    }

    @Test
    void historyUnavailable_answers503WithRetryAfter_asAProblem() {
        failingWith(() -> new ProtocolException(ErrorCode.UNAVAILABLE, "message store unavailable, retry"))
                .get().uri("/api/chat/conversations").exchange()
                .expectStatus().isEqualTo(503)
                .expectHeader().valueEquals("Retry-After", "1")
                .expectBody().jsonPath("$.status").isEqualTo(503)
                .jsonPath("$.detail").isEqualTo("temporarily unavailable, retry shortly");
    }

    @Test
    void aStoreTimeoutOrAnUnreachableDatabase_answers503() {
        failingWith(TimeoutException::new).get().uri("/api/chat/conversations").exchange()
                .expectStatus().isEqualTo(503).expectHeader().valueEquals("Retry-After", "1");
        failingWith(() -> new DataAccessResourceFailureException("no Redis")).get().uri("/api/chat/conversations")
                .exchange().expectStatus().isEqualTo(503);
    }

    @Test
    void aBug_isStillA500() {
        failingWith(() -> new IllegalStateException("a bug")).get().uri("/api/chat/conversations").exchange()
                .expectStatus().isEqualTo(500);
        failingWith(() -> new ProtocolException(ErrorCode.INTERNAL, "a bug")).get().uri("/api/chat/conversations")
                .exchange().expectStatus().isEqualTo(500);
    }

    /** Stands in for Spring Security's {@code @AuthenticationPrincipal} resolution of a verified token. */
    private record SignedIn(String subject) implements HandlerMethodArgumentResolver {
        @Override
        public boolean supportsParameter(MethodParameter parameter) {
            return Jwt.class.equals(parameter.getParameterType());
        }

        @Override
        public Mono<Object> resolveArgument(MethodParameter parameter, BindingContext context, ServerWebExchange exchange) {
            return Mono.just(Jwt.withTokenValue("t").header("alg", "RS256").subject(subject)
                    .issuedAt(Instant.now()).expiresAt(Instant.now().plusSeconds(60)).build());
        }
    }
}
