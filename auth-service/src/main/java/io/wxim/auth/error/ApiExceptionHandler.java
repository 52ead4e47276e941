package io.wxim.auth.error;

import io.wxim.auth.token.RefreshInProgressException;
import io.wxim.auth.wechat.WeChatLoginException;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.validation.FieldError;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.bind.support.WebExchangeBindException;
import org.springframework.web.reactive.result.method.annotation.ResponseEntityExceptionHandler;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.ServerWebInputException;
import reactor.core.publisher.Mono;

/**
 * The one place where errors become HTTP answers: {@code application/problem+json} with status, title and a short
 * detail, never a stack trace or exception class name. Spring's web exceptions (400, 404, 405, 415, ...) are
 * handled by the base class; {@code ErrorResponseException}s (e.g. an invalid refresh token, 401) carry their own
 * ProblemDetail; a failed WeChat login gets its own status plus the properties {@code code} (stable reason) and
 * {@code retryable}, and {@code Retry-After} on 429 and 503; timeouts and unreachable stores are 503; anything else
 * is a 500 with a generic detail.
 */
@RestControllerAdvice
class ApiExceptionHandler extends ResponseEntityExceptionHandler {
    private static final Logger log = LoggerFactory.getLogger(ApiExceptionHandler.class);

    /** Bean validation of a request body: list the failing fields, e.g. {@code "nickname: must be 1 to 32 characters"}. */
    @Override
    protected Mono<ResponseEntity<Object>> handleWebExchangeBindException(WebExchangeBindException ex,
            HttpHeaders headers, HttpStatusCode status, ServerWebExchange exchange) {
        String detail = ex.getFieldErrors().stream()
                .map(ApiExceptionHandler::describe)
                .sorted()
                .collect(Collectors.joining("; "));
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST,
                detail.isEmpty() ? "Invalid request content." : detail);
        problem.setTitle("Invalid request");
        return handleExceptionInternal(ex, problem, headers, HttpStatus.BAD_REQUEST, exchange);
    }

    /** Unreadable body: not JSON, wrong JSON types, or missing. The parser's message is not echoed. */
    @Override
    protected Mono<ResponseEntity<Object>> handleServerWebInputException(ServerWebInputException ex,
            HttpHeaders headers, HttpStatusCode status, ServerWebExchange exchange) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST,
                "The request body is missing or is not valid JSON of the expected shape.");
        problem.setTitle("Malformed request");
        return handleExceptionInternal(ex, problem, headers, HttpStatus.BAD_REQUEST, exchange);
    }

    /** Already logged where it arose (without secrets); its message is a fixed text meant for the client. */
    @ExceptionHandler(WeChatLoginException.class)
    Mono<ResponseEntity<Object>> handleWeChatLogin(WeChatLoginException ex, ServerWebExchange exchange) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(ex.status(), ex.getMessage());
        problem.setTitle("WeChat login failed");
        problem.setProperty("code", ex.code());
        problem.setProperty("retryable", ex.retryable());
        HttpHeaders headers = new HttpHeaders();
        ex.retryAfter().ifPresent(after -> headers.set(HttpHeaders.RETRY_AFTER, String.valueOf(after.toSeconds())));
        return handleExceptionInternal(ex, problem, headers, ex.status(), exchange);
    }

    @ExceptionHandler(RefreshInProgressException.class)
    Mono<ResponseEntity<Object>> handleRefreshInProgress(RefreshInProgressException ex, ServerWebExchange exchange) {
        log.info("refresh in progress or too late to store, answered 503: path={}", exchange.getRequest().getPath());
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.SERVICE_UNAVAILABLE, ex.getMessage());
        problem.setTitle("Service unavailable");
        HttpHeaders headers = new HttpHeaders();
        headers.set(HttpHeaders.RETRY_AFTER, "2");
        return handleExceptionInternal(ex, problem, headers, HttpStatus.SERVICE_UNAVAILABLE, exchange);
    }

    @ExceptionHandler({TimeoutException.class, DataAccessResourceFailureException.class})
    Mono<ResponseEntity<Object>> handleStoreUnavailable(Exception ex, ServerWebExchange exchange) {
        log.warn("store unavailable: path={} error={}", exchange.getRequest().getPath(), ex.toString());
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.SERVICE_UNAVAILABLE,
                "A backing store did not answer in time; retry later.");
        problem.setTitle("Service unavailable");
        HttpHeaders headers = new HttpHeaders();
        headers.set(HttpHeaders.RETRY_AFTER, "1");
        return handleExceptionInternal(ex, problem, headers, HttpStatus.SERVICE_UNAVAILABLE, exchange);
    }

    @ExceptionHandler(Exception.class)
    Mono<ResponseEntity<Object>> handleUnexpected(Exception ex, ServerWebExchange exchange) {
        log.error("unexpected error: path={}", exchange.getRequest().getPath(), ex);
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.INTERNAL_SERVER_ERROR,
                "An unexpected error occurred.");
        problem.setTitle("Internal error");
        return handleExceptionInternal(ex, problem, new HttpHeaders(), HttpStatus.INTERNAL_SERVER_ERROR, exchange);
    }

    private static String describe(FieldError error) {
        return error.getField() + ": " + (error.getDefaultMessage() == null ? "is invalid" : error.getDefaultMessage());
    }
}
