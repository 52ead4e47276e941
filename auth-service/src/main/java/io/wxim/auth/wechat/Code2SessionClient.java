package io.wxim.auth.wechat;

import java.net.ConnectException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.client.WebClientRequestException;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The only caller of WeChat's {@code GET /sns/jscode2session} (auth.code2Session): trades a {@code wx.login} code for
 * openid, unionid and session_key. WeChat answers HTTP 200 with {@code Content-Type: text/plain} and a JSON body,
 * also for errors ({@code errcode}/{@code errmsg}), so the body is read as bytes and parsed here.
 *
 * <p>A code works once, so a retry is only safe when WeChat cannot have consumed it: there is at most one retry,
 * after errcode -1 ("system error", WeChat asks to try again) or a connection that could not be opened (the request
 * was never sent); never after a read timeout or a dropped connection. The whole exchange, retry included, is bounded
 * by {@code im.auth.wechat.timeout}. Failures become {@link WeChatLoginException}s.
 *
 * <p>The request URL holds the AppSecret and the code, the answer holds the session_key: neither is logged nor put
 * into an exception. The body is read as bytes rather than a String so that Spring's DEBUG codec logging (which
 * prints decoded Strings) cannot print the session_key either.
 */
class Code2SessionClient {
    private static final Logger log = LoggerFactory.getLogger(Code2SessionClient.class);
    static final String PATH = "/sns/jscode2session";
    private static final String URI_TEMPLATE =
            PATH + "?appid={appid}&secret={secret}&js_code={code}&grant_type=authorization_code";
    /** A code2session answer is about 150 bytes; anything near this limit is not one. */
    private static final int MAX_ANSWER_BYTES = 16 * 1024;
    /** Pause before the single retry: WeChat's "system busy" is usually over in a moment. */
    static final Duration RETRY_DELAY = Duration.ofMillis(100);
    private static final int MAX_ID_LENGTH = 128;

    private final WebClient web;
    private final JsonMapper json;
    private final WeChatCredentials credentials;
    private final Duration timeout;

    Code2SessionClient(WebClient.Builder builder, JsonMapper json, WeChatCredentials credentials,
                       WeChatProperties props) {
        String baseUrl = props.baseUrl().toString().replaceAll("/+$", "");
        this.web = builder.baseUrl(baseUrl)
                .codecs(codecs -> codecs.defaultCodecs().maxInMemorySize(MAX_ANSWER_BYTES))
                .build();
        this.json = json;
        this.credentials = credentials;
        this.timeout = props.timeout();
    }

    /** The session for a {@code wx.login} code, or a {@link WeChatLoginException}. */
    Mono<WeChatSession> exchange(String code) {
        return Mono.defer(() -> attempt(code))
                .retryWhen(Retry.fixedDelay(1, RETRY_DELAY)
                        .filter(Code2SessionClient::isSafeToRetry)
                        .doBeforeRetry(signal -> log.warn("wechat code2session retried once: reason={}",
                                describe(signal.failure())))
                        .onRetryExhaustedThrow((spec, signal) -> signal.failure()))
                .timeout(timeout)
                .onErrorMap(e -> !(e instanceof WeChatLoginException), this::toLoginException);
    }

    private Mono<WeChatSession> attempt(String code) {
        Map<String, String> variables = Map.of("appid", credentials.appId(), "secret", credentials.secret(),
                "code", code);
        return web.get()
                .uri(URI_TEMPLATE, variables)
                .accept(MediaType.ALL)
                .exchangeToMono(response -> {
                    int status = response.statusCode().value();
                    if (status != 200) {
                        return response.releaseBody().then(Mono.error(new UnexpectedStatus(status)));
                    }
                    return response.bodyToMono(byte[].class).defaultIfEmpty(new byte[0]);
                })
                .map(this::parse);
    }

    private WeChatSession parse(byte[] answer) {
        JsonNode body;
        try {
            body = json.readTree(answer);
        } catch (JacksonException e) {
            // the parser's message quotes the answer, which may hold a session_key: drop it
            throw new InvalidAnswer("not JSON");
        }
        if (body == null || !body.isObject()) {
            throw new InvalidAnswer("not a JSON object");
        }
        JsonNode errcode = body.get("errcode");
        if (errcode != null && !errcode.isNull()) {
            if (!errcode.isIntegralNumber() || !errcode.canConvertToInt()) {
                throw new InvalidAnswer("errcode is not an integer");
            }
            if (errcode.intValue() != 0) {
                throw new WeChatError(errcode.intValue(), text(body, "errmsg"));
            }
        }
        String openId = text(body, "openid");
        String sessionKey = text(body, "session_key");
        String unionId = text(body, "unionid");
        if (openId == null || sessionKey == null || openId.length() > MAX_ID_LENGTH
                || sessionKey.length() > MAX_ID_LENGTH || (unionId != null && unionId.length() > MAX_ID_LENGTH)) {
            throw new InvalidAnswer("openid or session_key missing or oversized");
        }
        return new WeChatSession(openId, unionId, sessionKey);
    }

    private static String text(JsonNode body, String field) {
        JsonNode node = body.get(field);
        return node != null && node.isString() && !node.stringValue().isBlank() ? node.stringValue() : null;
    }

    /** Only where WeChat cannot have consumed the code: it said "busy", or the request never left this host. */
    static boolean isSafeToRetry(Throwable e) {
        if (e instanceof WeChatError error) {
            return error.errcode == -1;
        }
        return e instanceof WebClientRequestException && e.getCause() instanceof ConnectException;
    }

    private WeChatLoginException toLoginException(Throwable e) {
        if (e instanceof WeChatError error) {
            return fromErrcode(error);
        }
        if (e instanceof UnexpectedStatus status && status.status < 500) {
            log.error("wechat code2session answered HTTP {}: check im.auth.wechat.base-url", status.status);
            return WeChatLoginException.misconfigured();
        }
        log.warn("wechat code2session failed: reason={}", describe(e));
        return WeChatLoginException.unavailable();
    }

    private WeChatLoginException fromErrcode(WeChatError error) {
        switch (error.errcode) {
            case -1:
                log.warn("wechat code2session: WeChat busy (errcode -1) after a retry");
                return WeChatLoginException.busy();
            case 40029:
                return WeChatLoginException.invalidCode();
            case 40163:
                return WeChatLoginException.codeUsed();
            case 45011:
                log.warn("wechat code2session: minute quota reached (errcode 45011)");
                return WeChatLoginException.rateLimited();
            case 40226:
                return WeChatLoginException.userBlocked();
            default:
                // 40013 invalid appid, 40125 invalid appsecret, 41002/41004/41008 missing parameter, or new codes:
                // our request or configuration is wrong, not the user's code. A person must act.
                log.error("wechat code2session rejected the server's request: errcode={} errmsg={}; check "
                        + "im.auth.wechat.app-id and the AppSecret", error.errcode, safe(error.errmsg));
                return WeChatLoginException.misconfigured();
        }
    }

    /** WeChat's errmsg, cut short, on one line, and without our credentials should it ever echo them. */
    private String safe(String errmsg) {
        if (errmsg == null) {
            return "-";
        }
        String cleaned = errmsg.replace(credentials.secret(), "***").replaceAll("[\\p{Cntrl}]", " ");
        return cleaned.length() > 160 ? cleaned.substring(0, 160) + "..." : cleaned;
    }

    /** Class names only: exception messages here may carry the request URL (AppSecret, code). */
    private static String describe(Throwable e) {
        if (e instanceof TimeoutException) {
            return "timeout";
        }
        if (e instanceof WeChatError error) {
            return "errcode " + error.errcode;
        }
        if (e instanceof UnexpectedStatus status) {
            return "HTTP " + status.status;
        }
        if (e instanceof InvalidAnswer invalid) {
            return "unreadable answer (" + invalid.getMessage() + ")";
        }
        Throwable cause = e.getCause();
        return e.getClass().getSimpleName() + (cause == null ? "" : "/" + cause.getClass().getSimpleName());
    }

    /** WeChat answered with a non-zero errcode. */
    private static final class WeChatError extends RuntimeException {
        final int errcode;
        final String errmsg;

        WeChatError(int errcode, String errmsg) {
            super("errcode " + errcode, null, false, false);
            this.errcode = errcode;
            this.errmsg = errmsg;
        }
    }

    /** WeChat (or something in between) answered with a status other than 200. */
    private static final class UnexpectedStatus extends RuntimeException {
        final int status;

        UnexpectedStatus(int status) {
            super("HTTP " + status, null, false, false);
            this.status = status;
        }
    }

    /** A 200 answer that is not a code2session JSON object. The message never quotes the answer. */
    private static final class InvalidAnswer extends RuntimeException {
        InvalidAnswer(String why) {
            super(why, null, false, false);
        }
    }
}
