package io.wxim.auth.user;

import java.security.SecureRandom;
import java.util.regex.Pattern;
import org.springframework.stereotype.Component;

/**
 * User ids: {@code "u"} + 20 lowercase base32 characters (100 random bits). Other services embed them in their
 * own ids, so they stay within {@link #PATTERN}.
 */
@Component
class UserIdGenerator {
    /** What every user id must match, whoever creates it. */
    static final Pattern PATTERN = Pattern.compile("[A-Za-z0-9_-]{1,32}");
    private static final char[] ALPHABET = "abcdefghijklmnopqrstuvwxyz234567".toCharArray();
    private static final int LENGTH = 20;

    private final SecureRandom random;

    UserIdGenerator(SecureRandom random) {
        this.random = random;
    }

    String next() {
        char[] id = new char[LENGTH + 1];
        id[0] = 'u';
        for (int i = 1; i <= LENGTH; i++) {
            id[i] = ALPHABET[random.nextInt(ALPHABET.length)];
        }
        return new String(id);
    }
}
