package io.wxim.gateway.secure;

import io.micrometer.core.instrument.MeterRegistry;
import io.wxim.gateway.connection.Connection;
import io.wxim.protocol.ClientFrame;
import io.wxim.protocol.ErrorCode;
import io.wxim.protocol.FrameCodec;
import io.wxim.protocol.ServerFrame;
import io.wxim.protocol.crypto.FrameCipher;
import io.wxim.protocol.crypto.SecureChannelException;
import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Answers {@code secure}: checks that encryption is on, that the connection is not encrypted yet (one RSA operation
 * per connection), the per-user and per-address handshake limits and the key id, then unwraps the client's AES key
 * (on the parallel scheduler, off the event loop) and switches the connection. The answer is {@code secured} or one
 * error: {@code unsupported}, {@code conflict}, {@code rate_limited}, {@code unknown_key} (fetch the keys again and
 * retry), or {@code bad_request} "invalid wrapped key" for anything wrong with the wrapped key itself (one message,
 * no detail: no padding oracle).
 */
public final class SecureHandshake {
    private static final Logger log = LoggerFactory.getLogger(SecureHandshake.class);

    private final GatewayKeyRing ring;
    private final HandshakeLimiter limiter;
    private final FrameCodec codec;
    private final MeterRegistry meters;

    private SecureHandshake(GatewayKeyRing ring, HandshakeLimiter limiter, FrameCodec codec, MeterRegistry meters) {
        this.ring = ring;
        this.limiter = limiter;
        this.codec = codec;
        this.meters = meters;
    }

    public static SecureHandshake enabled(GatewayKeyRing ring, int perUser, int perIp, FrameCodec codec, MeterRegistry meters) {
        return new SecureHandshake(ring, new HandshakeLimiter(perUser, perIp, 100_000, System::nanoTime), codec, meters);
    }

    public static SecureHandshake disabled(FrameCodec codec, MeterRegistry meters) {
        return new SecureHandshake(null, null, codec, meters);
    }

    public Mono<Void> handle(Connection conn, ClientFrame.Secure frame, String clientAddress) {
        if (ring == null) {
            return refuse(conn, frame, ErrorCode.UNSUPPORTED, "payload encryption is not enabled on this server");
        }
        if (conn.isSecure()) {
            return refuse(conn, frame, ErrorCode.CONFLICT, "the connection is already encrypted");
        }
        if (!limiter.tryAcquire(conn.user().id(), clientAddress)) {
            return refuse(conn, frame, ErrorCode.RATE_LIMITED, "too many secure handshakes, retry in a minute");
        }
        return ring.find(frame.kid())
                .map(java.util.Optional::of)
                .defaultIfEmpty(java.util.Optional.empty())
                .flatMap(wrap -> wrap.isPresent() ? establish(conn, frame, wrap.get())
                        : refuse(conn, frame, ErrorCode.UNKNOWN_KEY,
                                "unknown or retired key id: fetch GET /api/auth/keys and retry with the current key"));
    }

    /** Unwraps the client's key (the one RSA operation) and switches the connection; exactly one answer. */
    private Mono<Void> establish(Connection conn, ClientFrame.Secure frame, io.wxim.protocol.crypto.KeyWrap wrap) {
        return Mono.fromCallable(() -> wrap.unwrap(frame.key()))
                .subscribeOn(Schedulers.parallel())
                .flatMap(key -> {
                    FrameCipher cipher;
                    try {
                        cipher = FrameCipher.forServer(key);
                    } finally {
                        Arrays.fill(key, (byte) 0);
                    }
                    String secured = codec.encode(new ServerFrame.Secured(frame.rid(), frame.kid()));
                    if (!conn.switchToSecure(cipher, secured)) {
                        return refuse(conn, frame, ErrorCode.CONFLICT, "the connection is already encrypted");
                    }
                    count("ok");
                    log.info("connection encrypted: userId={} connId={} kid={}", conn.user().id(), conn.id(), frame.kid());
                    return Mono.<Void>empty();
                })
                .onErrorResume(SecureChannelException.class,
                        e -> refuse(conn, frame, ErrorCode.BAD_REQUEST, "invalid wrapped key"));
    }

    private Mono<Void> refuse(Connection conn, ClientFrame.Secure frame, ErrorCode code, String message) {
        count(code.wire());
        conn.deliver(codec.encode(ServerFrame.Error.of(frame.rid(), null, code, message)));
        return Mono.empty();
    }

    private void count(String result) {
        meters.counter("im.gateway.secure.handshakes", "result", result).increment();
    }
}
