package io.wxim.protocol.crypto;

/**
 * A secure-channel operation failed. The message is deliberately uniform per operation ({@value KeyWrap#FAILURE} or
 * {@value FrameCipher#FAILURE}) and no cause is attached: what went wrong must not be observable by a peer (no padding or
 * tag oracle), so callers should log it as is and close the connection.
 */
public final class SecureChannelException extends RuntimeException {
    public SecureChannelException(String message) {
        super(message, null, false, false);
    }
}
