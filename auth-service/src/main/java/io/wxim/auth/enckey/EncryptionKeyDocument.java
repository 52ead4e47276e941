package io.wxim.auth.enckey;

import java.time.Instant;
import org.springframework.data.annotation.Id;

/**
 * A stored key pair in {@code im_auth.encryption_keys}. The generation is the {@code _id}, so two instances rotating
 * at once cannot both create the same generation: the second insert fails and that instance just reloads. The private
 * key (PKCS#8) is sealed with the key-encryption key, bound to this generation, kid and public key.
 */
record EncryptionKeyDocument(@Id long generation, String kid, String publicKey, String sealedPrivateKey,
                             Instant activatesAt, Instant createdAt) {
    static final String COLLECTION = "encryption_keys";

    @Override
    public String toString() {
        return "EncryptionKeyDocument[generation=" + generation + ", kid=" + kid + ", activatesAt=" + activatesAt + "]";
    }
}
