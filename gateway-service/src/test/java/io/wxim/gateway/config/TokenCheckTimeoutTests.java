package io.wxim.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.security.oauth2.jwt.BadJwtException;
import org.springframework.security.oauth2.jwt.JwtException;

/** A token whose key must be fetched from a JWK set that never answers: the check ends at its bound. */
@Timeout(30)
class TokenCheckTimeoutTests {

    private static String token(String kid) {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String header = b64.encodeToString(("{\"alg\":\"RS256\",\"kid\":\"" + kid + "\"}").getBytes(StandardCharsets.UTF_8));
        String claims = b64.encodeToString("{\"sub\":\"u1\",\"aud\":\"wxim\"}".getBytes(StandardCharsets.UTF_8));
        return header + "." + claims + ".AAAA";
    }

    @Test
    void aJwkSetThatNeverAnswers_failsTheCheckAsNotChecked_withinItsBound() throws Exception {
        List<Socket> accepted = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (ServerSocket silent = new ServerSocket(0)) {
            Thread acceptor = new Thread(() -> {
                try {
                    while (!silent.isClosed()) {
                        accepted.add(silent.accept()); // reads nothing, answers nothing
                    }
                } catch (Exception closed) {
                    // the test is over
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            GatewayProperties props = new Binder(new MapConfigurationPropertySource(Map.of(
                    "im.gateway.auth.jwks-uri", "http://127.0.0.1:" + silent.getLocalPort() + "/api/auth/jwks",
                    "im.gateway.auth.check-timeout", "2s")))
                    .bindOrCreate("im.gateway", GatewayProperties.class);
            long start = System.nanoTime();
            assertThatThrownBy(() -> SecurityConfig.signatureDecoder(props).decode(token("unknown"))
                    .block(Duration.ofSeconds(20)))
                    .isInstanceOf(JwtException.class)
                    .isNotInstanceOf(BadJwtException.class) // not "invalid": the handshake answers 503, not 401
                    // the key fetch's own bound (JwkSetCache) or the check's, whichever ends first: both are 2 s
                    // (300 ms was too short for a client's first connection in a fresh JVM: it never connected)
                    .hasMessageMatching(".*(within 2000 ms|keys could not be obtained).*");
            // far below the 20 s the block would wait without a bound (a loaded machine may take seconds to start a client)
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));
            assertThat(accepted).isNotEmpty(); // it did try to fetch the keys
        } finally {
            for (Socket socket : accepted) {
                socket.close();
            }
        }
    }
}
