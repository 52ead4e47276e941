package io.wxim.auth.enckey;

import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Instant;

/** An opened key pair with its place in the schedule ({@code retiresAt} null while it has no successor). */
record EncryptionKey(long generation, String kid, RSAPublicKey publicKey, RSAPrivateKey privateKey,
                     Instant activatesAt, Instant retiresAt) {

    KeySchedule.Slot slot() {
        return new KeySchedule.Slot(generation, activatesAt, retiresAt);
    }

    @Override
    public String toString() {
        return "EncryptionKey[generation=" + generation + ", kid=" + kid + ", activatesAt=" + activatesAt
                + ", retiresAt=" + retiresAt + "]"; // never the private key
    }
}
