package io.wxim.auth.token;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.ErrorResponseException;

/** A refresh token that is unknown, expired or already used: 401, the client must log in again. */
class InvalidRefreshTokenException extends ErrorResponseException {
    InvalidRefreshTokenException() {
        super(HttpStatus.UNAUTHORIZED, problem(), null);
    }

    private static ProblemDetail problem() {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.UNAUTHORIZED,
                "Refresh token is unknown, expired or already used; log in again.");
        problem.setTitle("Invalid refresh token");
        return problem;
    }
}
