package io.wxim.chat.config;

import io.wxim.protocol.ErrorCode;
import io.wxim.protocol.ProtocolException;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.QueryTimeoutException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/**
 * chat-service's REST answers when something it depends on does not answer (history-service, MongoDB, Redis): 503
 * with {@code Retry-After} as a ProblemDetail, like history-service's, instead of the framework's 500 and a logged
 * stack trace per request. Anything else is a 500 (a bug).
 */
@RestControllerAdvice
public class ApiErrors {
    private static final Logger log = LoggerFactory.getLogger(ApiErrors.class);
    /** Seconds a client should wait before retrying after a 503. */
    static final String RETRY_AFTER_SECONDS = "1";

    @ExceptionHandler(ProtocolException.class)
    ResponseEntity<ProblemDetail> protocol(ProtocolException e) {
        if (e.code() == ErrorCode.UNAVAILABLE) {
            return unavailable(e);
        }
        log.error("unexpected error answering a request: code={} error={}", e.code(), e.getMessage());
        return ResponseEntity.internalServerError()
                .body(ProblemDetail.forStatusAndDetail(HttpStatus.INTERNAL_SERVER_ERROR, "internal error"));
    }

    @ExceptionHandler({TimeoutException.class, DataAccessResourceFailureException.class, QueryTimeoutException.class})
    ResponseEntity<ProblemDetail> unavailable(Exception e) {
        log.warn("request not answered, a dependency is unavailable: error={}", e.toString());
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.SERVICE_UNAVAILABLE,
                "temporarily unavailable, retry shortly");
        return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE)
                .header(HttpHeaders.RETRY_AFTER, RETRY_AFTER_SECONDS)
                .body(problem);
    }
}
