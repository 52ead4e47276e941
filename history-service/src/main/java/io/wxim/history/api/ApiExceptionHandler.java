package io.wxim.history.api;

import io.wxim.history.membership.MembershipUnavailableException;
import io.wxim.history.message.HistoryBusyException;
import io.wxim.history.message.InvalidRequestException;
import io.wxim.history.media.MediaRejectedException;
import io.wxim.history.message.MediaNotFoundException;
import io.wxim.history.message.MessageNotFoundException;
import io.wxim.history.message.NotRecallableException;
import io.wxim.history.message.NotYourMessageException;
import io.wxim.history.message.RecallWindowPassedException;
import io.wxim.history.message.StoreUnavailableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.reactive.result.method.annotation.ResponseEntityExceptionHandler;

/**
 * The one place where errors become HTTP answers: RFC 9457 ProblemDetail ({@code application/problem+json}) with a
 * short, fixed detail; never a stack trace, an exception class name or the request's content. Framework errors
 * (malformed JSON, bad parameter types, ...) are handled by the superclass in the same format.
 */
@RestControllerAdvice
class ApiExceptionHandler extends ResponseEntityExceptionHandler {
    private static final Logger log = LoggerFactory.getLogger(ApiExceptionHandler.class);
    /** Seconds a client should wait before retrying after a 503. */
    private static final String RETRY_AFTER_SECONDS = "1";

    /**
     * The answer the single-message endpoints give for {@code e}, for endpoints that answer several items at once
     * (each item gets the status and detail it would have got alone).
     */
    ResponseEntity<ProblemDetail> answerFor(Throwable e) {
        if (e instanceof InvalidRequestException invalid) {
            return invalid(invalid);
        } else if (e instanceof MediaNotFoundException missing) {
            return mediaNotFound(missing);
        } else if (e instanceof MediaRejectedException rejected) {
            return mediaRejected(rejected);
        } else if (e instanceof HistoryBusyException busy) {
            return busy(busy);
        } else if (e instanceof StoreUnavailableException down) {
            return storeUnavailable(down);
        } else if (e instanceof Exception other) {
            return unexpected(other);
        }
        return unexpected(new IllegalStateException(e));
    }

    @ExceptionHandler(InvalidRequestException.class)
    ResponseEntity<ProblemDetail> invalid(InvalidRequestException e) {
        return problem(HttpStatus.BAD_REQUEST, e.getMessage());
    }

    @ExceptionHandler(ConversationNotFoundException.class)
    ResponseEntity<ProblemDetail> notFound(ConversationNotFoundException e) {
        return problem(HttpStatus.NOT_FOUND, "conversation not found");
    }

    @ExceptionHandler(MessageNotFoundException.class)
    ResponseEntity<ProblemDetail> messageNotFound(MessageNotFoundException e) {
        return problem(HttpStatus.NOT_FOUND, "message not found");
    }

    @ExceptionHandler(MediaNotFoundException.class)
    ResponseEntity<ProblemDetail> mediaNotFound(MediaNotFoundException e) {
        return problem(HttpStatus.NOT_FOUND, "media not found");
    }

    @ExceptionHandler(MediaRejectedException.class)
    ResponseEntity<ProblemDetail> mediaRejected(MediaRejectedException e) {
        return e.status() == HttpStatus.SERVICE_UNAVAILABLE ? unavailable(e.getMessage()) : problem(e.status(), e.getMessage());
    }

    @ExceptionHandler(NotYourMessageException.class)
    ResponseEntity<ProblemDetail> notYourMessage(NotYourMessageException e) {
        return problem(HttpStatus.FORBIDDEN, "not your message");
    }

    @ExceptionHandler(NotRecallableException.class)
    ResponseEntity<ProblemDetail> notRecallable(NotRecallableException e) {
        return problem(HttpStatus.CONFLICT, "a recall notice cannot be recalled");
    }

    @ExceptionHandler(RecallWindowPassedException.class)
    ResponseEntity<ProblemDetail> recallWindowPassed(RecallWindowPassedException e) {
        return problem(HttpStatus.GONE, "recall window has passed");
    }

    @ExceptionHandler(HistoryBusyException.class)
    ResponseEntity<ProblemDetail> busy(HistoryBusyException e) {
        log.warn("busy: {}", e.getMessage());
        return unavailable("conversation is busy, retry");
    }

    @ExceptionHandler(StoreUnavailableException.class)
    ResponseEntity<ProblemDetail> storeUnavailable(StoreUnavailableException e) {
        log.warn("message store unavailable: {}", e.getMessage());
        return unavailable("message store unavailable, retry");
    }

    @ExceptionHandler(MembershipUnavailableException.class)
    ResponseEntity<ProblemDetail> membershipUnavailable(MembershipUnavailableException e) {
        log.warn("membership check unavailable: {}", e.getMessage());
        return unavailable("membership check unavailable, retry");
    }

    @ExceptionHandler(Exception.class)
    ResponseEntity<ProblemDetail> unexpected(Exception e) {
        log.error("unexpected error", e);
        return problem(HttpStatus.INTERNAL_SERVER_ERROR, "internal error");
    }

    private static ResponseEntity<ProblemDetail> unavailable(String detail) {
        return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE)
                .header(HttpHeaders.RETRY_AFTER, RETRY_AFTER_SECONDS)
                .body(ProblemDetail.forStatusAndDetail(HttpStatus.SERVICE_UNAVAILABLE, detail));
    }

    private static ResponseEntity<ProblemDetail> problem(HttpStatus status, String detail) {
        return ResponseEntity.status(status).body(ProblemDetail.forStatusAndDetail(status, detail));
    }
}
