package io.wxim.auth.token;

import io.wxim.protocol.UserRef;

/**
 * Answer of every login and of refresh.
 *
 * @param accessToken  RS256 JWT for gateway and history ({@code Authorization: Bearer ...})
 * @param refreshToken opaque, single use: trade it at {@code POST /api/auth/refresh} for a new pair
 * @param tokenType    always {@code Bearer}
 * @param expiresIn    access token lifetime in seconds
 * @param user         the logged-in user
 */
public record TokenResponse(String accessToken, String refreshToken, String tokenType, long expiresIn, UserRef user) {
    public static final String BEARER = "Bearer";

    @Override
    public String toString() {
        return "TokenResponse[user=" + user + ", expiresIn=" + expiresIn + ", tokens=<redacted>]"; // never log tokens
    }
}
