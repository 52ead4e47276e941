package io.wxim.wechatfake;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An in-process stand-in for WeChat's {@code GET /sns/jscode2session} (auth.code2Session), for tests and local runs.
 * It answers the way WeChat does: HTTP 200 with {@code Content-Type: text/plain} and a JSON body, errors as
 * {@code {"errcode": n, "errmsg": "..., rid: ..."}}.
 *
 * <p>Checks, in WeChat's order: {@code appid} missing (41002) or wrong (40013), {@code secret} missing (41004) or
 * wrong (40125), {@code js_code} missing (41008), {@code grant_type} other than {@code authorization_code} (40002).
 * Then by {@code js_code}:
 * <ul>
 *   <li>{@code busy-*}: -1 {@code system error} (every time, the code is not consumed)</li>
 *   <li>{@code ratelimit-*}: 45011 (minute quota reached)</li>
 *   <li>{@code blocked-*}: 40226 {@code code blocked} (high-risk user)</li>
 *   <li>{@code code-<suffix>}: a valid code, good for one use. The answer is {@code openid} (stable per user),
 *       {@code session_key} (base64 of 16 random bytes, new for every code) and, when the user starts with
 *       {@code u-}, {@code unionid} (stable per user). The user is the suffix up to its first {@code .}, so
 *       {@code code-alice.1} and {@code code-alice.2} are two codes of the same user. The same code again:
 *       40163 {@code code been used}.</li>
 *   <li>anything else: 40029 {@code invalid code}</li>
 * </ul>
 * Other paths answer 404. The server binds 127.0.0.1 on a free port, keeps everything in memory and logs nothing
 * (it hands out session keys). Thread safe.
 */
public final class FakeWeChatServer implements AutoCloseable {
    /** Path of the code2session API, relative to {@link #baseUrl()}. */
    public static final String CODE2SESSION_PATH = "/sns/jscode2session";
    private static final String VALID_PREFIX = "code-";
    private static final String UNION_PREFIX = "u-";
    private static final int SESSION_KEY_BYTES = 16;
    private static final int WORKER_THREADS = 4;

    private final String appId;
    private final String secret;
    private final HttpServer server;
    private final ExecutorService executor;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    private final Map<String, String> issuedSessionKeys = new ConcurrentHashMap<>();
    private final Map<String, String> fixedSessionKeys = new ConcurrentHashMap<>();
    private final Set<String> usedCodes = ConcurrentHashMap.newKeySet();

    private FakeWeChatServer(String appId, String secret, HttpServer server, ExecutorService executor) {
        this.appId = appId;
        this.secret = secret;
        this.server = server;
        this.executor = executor;
    }

    /**
     * Starts a fake for one mini-program on 127.0.0.1 and a free port.
     *
     * @param appId  the only {@code appid} it accepts
     * @param secret the only {@code secret} it accepts
     */
    public static FakeWeChatServer start(String appId, String secret) {
        requireText(appId, "appId");
        requireText(secret, "secret");
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot bind the fake WeChat server", e);
        }
        ExecutorService executor = Executors.newFixedThreadPool(WORKER_THREADS, daemonThreads());
        FakeWeChatServer fake = new FakeWeChatServer(appId, secret, server, executor);
        server.createContext("/", fake::handle);
        server.setExecutor(executor);
        server.start();
        return fake;
    }

    /** {@code http://127.0.0.1:<port>}, what auth-service takes as {@code im.auth.wechat.base-url}. */
    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** The appid it accepts. */
    public String appId() {
        return appId;
    }

    /** The AppSecret it accepts (made up by whoever started the fake; never a real one). */
    public String secret() {
        return secret;
    }

    /** The session_key issued for {@code code}, or null if the code was never answered successfully. */
    public String sessionKeyFor(String code) {
        return issuedSessionKeys.get(code);
    }

    /** How many requests carried {@code js_code=code} (whatever the answer). */
    public int calls(String code) {
        AtomicInteger count = calls.get(code);
        return count == null ? 0 : count.get();
    }

    /**
     * Makes the valid code {@code code} answer with this session_key instead of a random one: lets a test compute
     * a signature or encrypt user data beforehand, or plant a canary value. Call before the code is used.
     */
    public void useSessionKey(String code, String sessionKey) {
        userOf(code);
        requireText(sessionKey, "sessionKey");
        fixedSessionKeys.put(code, sessionKey);
    }

    /** The openid that the valid code {@code code} answers with (the same for every code of its user). */
    public String openIdFor(String code) {
        return "o" + digest("openid|" + appId + "|" + userOf(code));
    }

    /** The unionid that the valid code {@code code} answers with, or null when its user does not start with {@code u-}. */
    public String unionIdFor(String code) {
        String user = userOf(code);
        // a unionid does not depend on the app: it is the same person across the apps of one open platform account
        return user.startsWith(UNION_PREFIX) ? "u" + digest("unionid|" + user) : null;
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try {
            if (!CODE2SESSION_PATH.equals(exchange.getRequestURI().getPath())) {
                send(exchange, 404, "not found");
                return;
            }
            if (!"GET".equals(exchange.getRequestMethod())) {
                send(exchange, 405, "method not allowed");
                return;
            }
            Map<String, String> query = parseQuery(exchange.getRequestURI().getRawQuery());
            String code = query.get("js_code");
            if (code != null) {
                calls.computeIfAbsent(code, c -> new AtomicInteger()).incrementAndGet();
            }
            send(exchange, 200, json(answer(query, code)));
        } finally {
            exchange.close();
        }
    }

    private Map<String, Object> answer(Map<String, String> query, String code) {
        String givenAppId = query.get("appid");
        if (isEmpty(givenAppId)) {
            return error(41002, "appid missing");
        }
        if (!appId.equals(givenAppId)) {
            return error(40013, "invalid appid");
        }
        String givenSecret = query.get("secret");
        if (isEmpty(givenSecret)) {
            return error(41004, "appsecret missing");
        }
        if (!secret.equals(givenSecret)) {
            return error(40125, "invalid appsecret");
        }
        if (isEmpty(code)) {
            return error(41008, "missing code");
        }
        if (!"authorization_code".equals(query.get("grant_type"))) {
            return error(40002, "invalid grant_type");
        }
        if (code.startsWith("busy-")) {
            return error(-1, "system error");
        }
        if (code.startsWith("ratelimit-")) {
            return error(45011, "api minute-quota reach limit  mustslower  retry next minute");
        }
        if (code.startsWith("blocked-")) {
            return error(40226, "code blocked");
        }
        if (!isValidCode(code)) {
            return error(40029, "invalid code");
        }
        if (!usedCodes.add(code)) {
            return error(40163, "code been used");
        }
        String sessionKey = fixedSessionKeys.getOrDefault(code, newSessionKey());
        issuedSessionKeys.put(code, sessionKey);
        Map<String, Object> body = new LinkedHashMap<>();
        // WeChat sends session_key first
        body.put("session_key", sessionKey);
        body.put("openid", openIdFor(code));
        String unionId = unionIdFor(code);
        if (unionId != null) {
            body.put("unionid", unionId);
        }
        return body;
    }

    private Map<String, Object> error(int errcode, String errmsg) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("errcode", errcode);
        body.put("errmsg", errmsg + ", rid: " + requestId());
        return body;
    }

    private String requestId() {
        byte[] bytes = new byte[12];
        random.nextBytes(bytes);
        String hex = HexFormat.of().formatHex(bytes);
        return hex.substring(0, 8) + "-" + hex.substring(8, 16) + "-" + hex.substring(16);
    }

    private String newSessionKey() {
        byte[] bytes = new byte[SESSION_KEY_BYTES];
        random.nextBytes(bytes);
        return Base64.getEncoder().encodeToString(bytes);
    }

    private static boolean isValidCode(String code) {
        return code.startsWith(VALID_PREFIX) && code.length() > VALID_PREFIX.length()
                && code.charAt(VALID_PREFIX.length()) != '.';
    }

    private static String userOf(String code) {
        Objects.requireNonNull(code, "code");
        if (!isValidCode(code)) {
            throw new IllegalArgumentException("not a valid fake code (expected code-<suffix>): " + code);
        }
        String suffix = code.substring(VALID_PREFIX.length());
        int dot = suffix.indexOf('.');
        return dot < 0 ? suffix : suffix.substring(0, dot);
    }

    /** 27 base64url characters of SHA-256: with the one-letter prefix, 28 characters like WeChat's ids. */
    private static String digest(String value) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(hash).substring(0, 27);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is always available", e);
        }
    }

    private static Map<String, String> parseQuery(String rawQuery) {
        Map<String, String> params = new HashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return params;
        }
        for (String pair : rawQuery.split("&")) {
            int eq = pair.indexOf('=');
            String name = decode(eq < 0 ? pair : pair.substring(0, eq));
            String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
            params.putIfAbsent(name, value);
        }
        return params;
    }

    private static String decode(String value) {
        try {
            return URLDecoder.decode(value, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return value;
        }
    }

    private static void send(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** Flat JSON object of strings and ints (all this fake ever sends). */
    static String json(Map<String, Object> fields) {
        StringBuilder out = new StringBuilder("{");
        for (Map.Entry<String, Object> field : fields.entrySet()) {
            if (out.length() > 1) {
                out.append(',');
            }
            out.append(quote(field.getKey())).append(':');
            Object value = field.getValue();
            out.append(value instanceof Number ? value.toString() : quote(String.valueOf(value)));
        }
        return out.append('}').toString();
    }

    private static String quote(String value) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : value.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '/' -> out.append("\\/"); // WeChat escapes slashes, as in its errmsg URLs
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }

    private static boolean isEmpty(String value) {
        return value == null || value.isEmpty();
    }

    private static void requireText(String value, String name) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(name + " is required");
        }
    }

    private static ThreadFactory daemonThreads() {
        AtomicInteger counter = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, "fake-wechat-" + counter.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
