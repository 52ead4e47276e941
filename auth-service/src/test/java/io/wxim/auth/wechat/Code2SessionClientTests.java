package io.wxim.auth.wechat;

import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.wechatfake.FakeWeChatServer;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.http.HttpStatus;
import org.springframework.web.reactive.function.client.ClientResponse;
import org.springframework.web.reactive.function.client.ExchangeFunction;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.client.WebClientRequestException;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import tools.jackson.databind.json.JsonMapper;

/** The client against the fake WeChat (real HTTP) and against stubbed transports for what the fake cannot do. */
@ExtendWith(OutputCaptureExtension.class)
class Code2SessionClientTests {
    private static final Duration VERIFY = Duration.ofSeconds(10);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String APP_ID = WeChatTestData.appId();
    private static final String SECRET = WeChatTestData.secret();
    /** Not closed: it must outlive a rerun of this class (daemon threads). */
    private static final FakeWeChatServer WECHAT = FakeWeChatServer.start(APP_ID, SECRET);


    @Test
    void answersSession_whenCodeIsValid() {
        StepVerifier.create(client(APP_ID, SECRET).exchange("code-u-alice"))
                .assertNext(session -> {
                    assertThat(session.openId()).isEqualTo(WECHAT.openIdFor("code-u-alice"));
                    assertThat(session.unionId()).isEqualTo(WECHAT.unionIdFor("code-u-alice"));
                    assertThat(session.sessionKey()).isEqualTo(WECHAT.sessionKeyFor("code-u-alice"));
                    assertThat(session.toString()).doesNotContain(session.sessionKey());
                })
                .expectComplete()
                .verify(VERIFY);
    }

    @Test
    void mapsWeChatErrors_withoutRetrying_exceptBusy() {
        Code2SessionClient client = client(APP_ID, SECRET);
        client.exchange("code-bob").block(VERIFY);

        expectError(client.exchange("busy-1"), 503, "wechat_busy", true);
        expectError(client.exchange("nonsense-1"), 400, "invalid_code", false);
        expectError(client.exchange("code-bob"), 400, "code_used", false);
        expectError(client.exchange("ratelimit-1"), 429, "rate_limited", true);
        expectError(client.exchange("blocked-1"), 403, "user_blocked", false);

        assertThat(WECHAT.calls("busy-1")).isEqualTo(2);
        assertThat(WECHAT.calls("nonsense-1")).isEqualTo(1);
        assertThat(WECHAT.calls("code-bob")).isEqualTo(2);
        assertThat(WECHAT.calls("ratelimit-1")).isEqualTo(1);
        assertThat(WECHAT.calls("blocked-1")).isEqualTo(1);
    }

    @Test
    void answersMisconfigured_whenAppIdOrSecretIsWrong() {
        expectError(client(WeChatTestData.appId(), SECRET).exchange("code-carol.1"), 502, "wechat_misconfigured", false);
        expectError(client(APP_ID, WeChatTestData.secret()).exchange("code-carol.2"), 502, "wechat_misconfigured",
                false);
        assertThat(WECHAT.calls("code-carol.1")).isEqualTo(1);
        assertThat(WECHAT.calls("code-carol.2")).isEqualTo(1);
    }

    @Test
    void answersMisconfigured_whenBaseUrlIsWrong() {
        Code2SessionClient client = new Code2SessionClient(WebClient.builder(), JSON, credentials(APP_ID, SECRET),
                props(WECHAT.baseUrl() + "/wrong/", Duration.ofSeconds(2)));
        expectError(client.exchange("code-dan"), 502, "wechat_misconfigured", false);
    }

    @Test
    void retriesOnce_whenBusyThenAnswers() {
        Deque<String> answers = new ArrayDeque<>();
        answers.add("{\"errcode\":-1,\"errmsg\":\"system error, rid: 1\"}");
        answers.add("{\"session_key\":\"" + WeChatTestData.sessionKey() + "\",\"openid\":\"oX\"}");
        AtomicInteger attempts = new AtomicInteger();
        Code2SessionClient client = stubbed(request -> {
            attempts.incrementAndGet();
            return Mono.just(text(HttpStatus.OK, answers.poll()));
        }, Duration.ofSeconds(2));

        StepVerifier.create(client.exchange("any"))
                .assertNext(session -> assertThat(session.openId()).isEqualTo("oX"))
                .expectComplete()
                .verify(VERIFY);
        assertThat(attempts).hasValue(2);
    }

    @Test
    void retriesOnce_whenConnectionRefused() {
        AtomicInteger attempts = new AtomicInteger();
        Code2SessionClient client = stubbed(request -> {
            attempts.incrementAndGet();
            return Mono.error(new WebClientRequestException(new ConnectException("Connection refused"),
                    request.method(), request.url(), request.headers()));
        }, Duration.ofSeconds(2));

        expectError(client.exchange("any"), 503, "wechat_unavailable", true);
        assertThat(attempts).hasValue(2);
    }

    @Test
    void retriesOnce_andAnswersUnavailable_whenNothingListens(CapturedOutput output) throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Code2SessionClient client = new Code2SessionClient(WebClient.builder(), JSON, credentials(APP_ID, SECRET),
                props("http://127.0.0.1:" + port, Duration.ofSeconds(2)));

        expectError(client.exchange("code-erin"), 503, "wechat_unavailable", true);
        // a real refused connection is recognized as "request never sent"
        assertThat(output.getAll()).contains("wechat code2session retried once: reason=WebClientRequestException/")
                .contains("ConnectException");
    }

    @Test
    void doesNotRetry_whenRealServerAcceptsButNeverAnswers() throws Exception {
        AtomicInteger connections = new AtomicInteger();
        List<Socket> held = new CopyOnWriteArrayList<>();
        try (ServerSocket server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                try {
                    while (!server.isClosed()) {
                        held.add(server.accept());
                        connections.incrementAndGet();
                    }
                } catch (IOException closed) {
                    // server closed: done
                }
            }, "silent-wechat");
            acceptor.setDaemon(true);
            acceptor.start();
            Code2SessionClient client = new Code2SessionClient(WebClient.builder(), JSON,
                    credentials(APP_ID, SECRET), props("http://127.0.0.1:" + server.getLocalPort(),
                    Duration.ofMillis(500)));

            expectError(client.exchange("code-fred"), 503, "wechat_unavailable", true);
            Thread.sleep(300); // a retry, if there were one, would connect within this time
            assertThat(connections).hasValue(1);
        } finally {
            for (Socket socket : held) {
                socket.close();
            }
        }
    }

    @Test
    void neverRetries_whenRequestMayHaveBeenSent() {
        AtomicInteger hanging = new AtomicInteger();
        Code2SessionClient slow = stubbed(request -> {
            hanging.incrementAndGet();
            return Mono.never();
        }, Duration.ofMillis(300));
        AtomicInteger dropped = new AtomicInteger();
        Code2SessionClient closing = stubbed(request -> {
            dropped.incrementAndGet();
            return Mono.error(new WebClientRequestException(new IOException("Connection prematurely closed"),
                    request.method(), request.url(), request.headers()));
        }, Duration.ofSeconds(2));

        long started = System.nanoTime();
        expectError(slow.exchange("any"), 503, "wechat_unavailable", true);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(3));
        expectError(closing.exchange("any"), 503, "wechat_unavailable", true);
        assertThat(hanging).hasValue(1);
        assertThat(dropped).hasValue(1);
    }

    @Test
    void answersUnavailable_whenAnswerIsNotCode2SessionJson() {
        for (String body : new String[] {"<html>gateway</html>", "[]", "{\"openid\":\"o\"}", "{\"errcode\":\"x\"}", ""}) {
            expectError(stubbed(request -> Mono.just(text(HttpStatus.OK, body)), Duration.ofSeconds(2)).exchange("c"),
                    503, "wechat_unavailable", true);
        }
        AtomicInteger attempts = new AtomicInteger();
        Code2SessionClient failing = stubbed(request -> {
            attempts.incrementAndGet();
            return Mono.just(text(HttpStatus.BAD_GATEWAY, "bad gateway"));
        }, Duration.ofSeconds(2));
        expectError(failing.exchange("c"), 503, "wechat_unavailable", true);
        assertThat(attempts).hasValue(1);
    }

    private static void expectError(Mono<WeChatSession> call, int status, String code, boolean retryable) {
        StepVerifier.create(call)
                .expectErrorSatisfies(e -> {
                    assertThat(e).isInstanceOf(WeChatLoginException.class);
                    WeChatLoginException login = (WeChatLoginException) e;
                    assertThat(login.status().value()).isEqualTo(status);
                    assertThat(login.code()).isEqualTo(code);
                    assertThat(login.retryable()).isEqualTo(retryable);
                    assertThat(login.getCause()).isNull();
                    assertThat(login.getMessage()).doesNotContain(SECRET);
                })
                .verify(VERIFY);
    }

    private static ClientResponse text(HttpStatus status, String body) {
        return ClientResponse.create(status).header("Content-Type", "text/plain").body(body).build();
    }

    private static Code2SessionClient client(String appId, String secret) {
        return new Code2SessionClient(WebClient.builder(), JSON, credentials(appId, secret),
                props(WECHAT.baseUrl(), Duration.ofSeconds(5)));
    }

    private static Code2SessionClient stubbed(ExchangeFunction exchange, Duration timeout) {
        return new Code2SessionClient(WebClient.builder().exchangeFunction(exchange), JSON,
                credentials(APP_ID, SECRET), props("http://wechat.invalid", timeout));
    }

    private static WeChatCredentials credentials(String appId, String secret) {
        byte[] key = Base64.getDecoder().decode(WeChatTestData.vaultKey());
        return new WeChatCredentials(appId, secret, new SecretKeySpec(key, "AES"));
    }

    private static WeChatProperties props(String baseUrl, Duration timeout) {
        return new WeChatProperties(true, null, null, null, URI.create(baseUrl), timeout, Duration.ofDays(3), null,
                null);
    }
}
