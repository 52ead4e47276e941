package io.wxim.auth.token;

import java.time.Instant;

/**
 * What a refresh token stands for, stored as JSON under {@code RedisNames.refreshToken(sha256hex(token))}.
 *
 * @param userId   the user the token was issued to
 * @param familyId shared by every token rotated from the same login; lets reuse detection revoke the whole
 *                 family later
 * @param issuedAt when this token was issued
 */
record RefreshSession(String userId, String familyId, Instant issuedAt) {
}
