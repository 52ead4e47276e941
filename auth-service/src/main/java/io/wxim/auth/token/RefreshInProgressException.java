package io.wxim.auth.token;

/**
 * A refresh to be asked again shortly with the same token (503 with Retry-After): a retry too early to take over a new
 * token its rotation has not stored yet (a copy presented meanwhile must not take the session from a rotation still on
 * its way), or a rotation too slow to store its new token (from the age at which a retry may take that token over):
 * asked again a little later, within the grace, the retry is answered.
 */
public class RefreshInProgressException extends RuntimeException {
    public RefreshInProgressException() {
        super("the refresh of this token is still in progress; retry shortly with the same token", null, false, false);
    }
}
