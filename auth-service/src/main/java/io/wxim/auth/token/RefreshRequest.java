package io.wxim.auth.token;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Size;

/** Body of {@code POST /api/auth/refresh}. */
record RefreshRequest(@NotBlank @Size(max = 256) String refreshToken) {
    @Override
    public String toString() {
        return "RefreshRequest[<redacted>]"; // codecs log decoded values at DEBUG: never a token
    }
}
