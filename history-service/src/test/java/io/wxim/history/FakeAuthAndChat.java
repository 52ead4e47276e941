package io.wxim.history;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.http.HttpHeaders;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/**
 * What history-service's public API talks to, faked on one reactor-netty port: auth-service's JWKS ({@code /jwks})
 * and chat-service's membership endpoint (members are {@code conv|user} entries of {@link #members()}; user
 * {@value #BROKEN} gets 500, {@value #SLOW} no answer). Tokens are signed with this fake's RSA key.
 */
public final class FakeAuthAndChat implements AutoCloseable {
    public static final String BROKEN = "broken";
    public static final String SLOW = "slow";
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final RSAKey signingKey = generateKey("k1");
    private final Set<String> members = ConcurrentHashMap.newKeySet();
    private final DisposableServer server;

    public FakeAuthAndChat() {
        String jwks = new JWKSet(signingKey.toPublicJWK()).toString();
        server = HttpServer.create()
                .host("127.0.0.1")
                .port(0)
                .route(routes -> routes
                        .get("/jwks", (req, res) -> res.header(HttpHeaders.CONTENT_TYPE, "application/json")
                                .sendString(Mono.just(jwks)))
                        .get("/internal/conversations/{conv}/members/{user}", (req, res) -> {
                            // Spring's WebClient encodes URI variables strictly (':' becomes %3A), as a real server decodes.
                            String user = URLDecoder.decode(req.param("user"), StandardCharsets.UTF_8);
                            String conversation = URLDecoder.decode(req.param("conv"), StandardCharsets.UTF_8);
                            if (BROKEN.equals(user)) {
                                return res.status(500).send();
                            }
                            if (SLOW.equals(user)) {
                                return Mono.never();
                            }
                            return res.status(members.contains(conversation + "|" + user) ? 204 : 404).send();
                        }))
                .bindNow(TIMEOUT);
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.port();
    }

    public RSAKey signingKey() {
        return signingKey;
    }

    /** {@code conv|user} entries; add to make a member. */
    public Set<String> members() {
        return members;
    }

    public void addMember(String conv, String user) {
        members.add(conv + "|" + user);
    }

    /** A valid access token of {@code subject} for 5 minutes. */
    public String token(String subject) {
        return sign(signingKey, claims(subject, "wxim", Instant.now().plusSeconds(300)));
    }

    public static JWTClaimsSet claims(String subject, String audience, Instant expires) {
        return new JWTClaimsSet.Builder()
                .subject(subject)
                .audience(audience)
                .issuer("http://localhost:8081")
                .issueTime(Date.from(expires.minusSeconds(900)))
                .expirationTime(Date.from(expires))
                .claim("nickname", subject)
                .build();
    }

    public static String sign(RSAKey key, JWTClaimsSet claims) {
        try {
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).build(), claims);
            jwt.sign(new RSASSASigner(key));
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    public static RSAKey generateKey(String kid) {
        try {
            return new RSAKeyGenerator(2048).keyID(kid).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        server.disposeNow(TIMEOUT);
    }
}
