package io.wxim.auth.token;

/**
 * A retry of a refresh whose rotation has not stored its new token yet, too early to take it over (a copy presented
 * meanwhile must not take the session from a rotation still on its way): 503 with Retry-After, asked again a little
 * later it is answered.
 */
public class RefreshInProgressException extends RuntimeException {
    public RefreshInProgressException() {
        super("the refresh of this token is still in progress; retry shortly", null, false, false);
    }
}
