package io.wxim.auth.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * Reads a secret that is configured either inline (an environment variable) or as a mounted file, and checks AES
 * keys given as base64. Startup only (blocking file reads). Every problem is an {@link IllegalStateException} that
 * names the property and environment variable to set and never contains the secret.
 */
public final class Secrets {
    public static final int AES_KEY_BYTES = 32;
    /** Secret files are small; anything bigger is the wrong file. */
    private static final long MAX_FILE_BYTES = 4096;

    private Secrets() {
    }

    /**
     * The value of a secret set exactly once, inline or as a file.
     *
     * @param what           what the secret is, for messages ("WeChat AppSecret")
     * @param fileProperty   the file property and its environment variable, for messages
     * @param inlineProperty the inline property and its environment variable, for messages
     * @param neededBecause  why it is required, for the message when neither is set ("WeChat login is enabled ...")
     */
    public static String oneOf(String inline, Path file, String what, String fileProperty, String inlineProperty,
                               String neededBecause) {
        if (inline != null && file != null) {
            throw new IllegalStateException("the " + what + " is set twice: set either " + fileProperty
                    + " or " + inlineProperty + ", not both");
        }
        if (inline != null) {
            return inline;
        }
        if (file == null) {
            throw new IllegalStateException(neededBecause + " but the " + what + " is missing: set " + fileProperty
                    + " to a mounted secret file, or " + inlineProperty);
        }
        return readFile(file, what, fileProperty);
    }

    /** An AES-256 key from base64 of exactly 32 bytes. */
    public static SecretKey aesKey(String base64, String what, String properties) {
        byte[] key;
        try {
            key = Base64.getDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            throw aesKeyMalformed(what, properties, "it is not base64");
        }
        if (key.length != AES_KEY_BYTES) {
            throw aesKeyMalformed(what, properties, "it decodes to " + key.length + " bytes");
        }
        return new SecretKeySpec(key, "AES");
    }

    private static IllegalStateException aesKeyMalformed(String what, String properties, String why) {
        return new IllegalStateException("the " + what + " (" + properties + ") is malformed: " + why
                + "; expected base64 of " + AES_KEY_BYTES + " random bytes (e.g. openssl rand -base64 32)");
    }

    private static String readFile(Path file, String what, String property) {
        try {
            if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
                throw new IllegalStateException("the " + what + " file " + file + " (" + property
                        + ") does not exist or is not readable");
            }
            if (Files.size(file) > MAX_FILE_BYTES) {
                throw new IllegalStateException("the " + what + " file " + file + " (" + property
                        + ") is larger than " + MAX_FILE_BYTES + " bytes: not a secret file");
            }
            String value = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (value.isEmpty()) {
                throw new IllegalStateException("the " + what + " file " + file + " (" + property + ") is empty");
            }
            return value;
        } catch (IOException e) {
            // the IOException's message names the file at most; no content is read into it
            throw new IllegalStateException("the " + what + " file " + file + " (" + property
                    + ") cannot be read: " + e.getClass().getSimpleName());
        }
    }
}
