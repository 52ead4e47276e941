package io.wxim.bench;

import io.netty.handler.codec.http.HttpHeaderNames;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.http.client.HttpClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * wxim over its documented protocol (docs/protocol.md): dev login over HTTP for a token, {@code /ws} with the token
 * in the {@code Authorization} header, {@code welcome}, {@code create}/{@code join}, {@code send} with {@code conv}
 * or {@code to}, {@code ack}, {@code message}, {@code sync}/{@code synced}, {@code ping}, and {@code auth} with a new
 * token (a dev login again) {@link #RENEW_AFTER} into the token's 15 minutes, from the heartbeat, so runs longer than
 * that keep their connections (the gateway closes one whose token expired with 4003). Message frames are scanned
 * without a JSON parse; the few control frames are parsed.
 */
public final class WximClient extends BenchClient {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** How long a token is used before the heartbeat sends a new one in-band (access tokens live 15 minutes). */
    static final Duration RENEW_AFTER = Duration.ofMinutes(10);

    /**
     * A dev-login answer, the nickname it was for (the same nickname signs in as the same user) and when it came
     * ({@link System#nanoTime()}: the token's age).
     */
    public record Login(String accessToken, String userId, String nickname, long atNanos) {
    }

    private final String baseUrl;
    /** The token the connections use: a reconnect, and the gateway since its last {@code authed}. */
    private volatile Login login;
    private volatile long loginNanos;
    private final AtomicBoolean renewing = new AtomicBoolean();
    private volatile long lobbySeq;
    private long cmids;

    public WximClient(int index, HttpClient http, String baseUrl, Login login) {
        super(index, http);
        this.baseUrl = stripSlash(baseUrl);
        this.login = login;
        this.loginNanos = login.atNanos();
    }

    /** {@code POST /api/auth/dev-login} (local runs only): the same nickname signs in as the same user. */
    public static Mono<Login> login(HttpClient http, String baseUrl, String nickname) {
        String body = "{\"nickname\":\"" + nickname + "\"}";
        return http.headers(h -> h.set(HttpHeaderNames.CONTENT_TYPE, "application/json"))
                .post().uri(stripSlash(baseUrl) + "/api/auth/dev-login")
                .send(ByteBufFlux.fromString(Mono.just(body)))
                .responseSingle((resp, buf) -> buf.asString().defaultIfEmpty("").map(text -> {
                    if (resp.status().code() != 200) {
                        throw new IllegalStateException("dev-login " + resp.status().code() + ": " + text);
                    }
                    JsonNode n = JSON.readTree(text);
                    return new Login(n.path("accessToken").asString(), n.path("user").path("id").asString(), nickname,
                            System.nanoTime());
                }));
    }

    @Override
    public String userId() {
        return login.userId();
    }

    public static String wsUrl(String baseUrl) {
        return stripSlash(baseUrl).replaceFirst("^http", "ws") + "/ws";
    }

    @Override
    public CompletableFuture<Void> connect(String url) {
        ready = new CompletableFuture<>();
        CompletableFuture<Void> mine = ready;
        Login using = login;
        // a connection made with the newest token ends a renewal whose authed it will never see
        mine.thenRun(() -> {
            if (login == using) {
                loginNanos = using.atNanos();
                renewing.set(false);
            }
        });
        ws = WsConnection.open(http, wsUrl(url),
                h -> h.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + using.accessToken()),
                () -> { }, this::onFrame, this::closed);
        return mine;
    }

    private void onFrame(String frame) {
        String type = BodyCodec.type(frame);
        if (type == null) {
            return;
        }
        switch (type) {
            case "message" -> deliver(frame);
            case "ack" -> {
                String rid = field(frame, "rid");
                if (rid != null && rid.startsWith("m")) {
                    Listener l = listener;
                    if (l != null) {
                        l.onAck(this, Long.parseLong(rid.substring(1)), System.nanoTime());
                    }
                }
            }
            case "welcome" -> {
                JsonNode n = JSON.readTree(frame);
                for (JsonNode c : n.path("conversations")) {
                    if ("r:lobby".equals(c.path("conv").asString())) {
                        lobbySeq = c.path("lastSeq").asLong();
                    }
                }
                ready.complete(null);
            }
            case "authed" -> { // the renewed token counts from its login
                Login current = login;
                loginNanos = current.atNanos();
                renewing.set(false);
            }
            case "joined", "synced" -> {
                JsonNode n = JSON.readTree(frame);
                answer(n.path("rid").asString(null), frame, null);
            }
            case "error" -> {
                JsonNode n = JSON.readTree(frame);
                String code = n.path("code").asString("unknown");
                if ("a".equals(n.path("rid").asString(null))) {
                    renewing.set(false); // the renewal was refused: tried again at the next heartbeat
                }
                Listener l = listener;
                if (l != null) {
                    l.onError(this, code);
                }
                answer(n.path("rid").asString(null), null, code);
            }
            default -> {
                // pong, memberJoined, presence, ...: not measured
            }
        }
    }

    /** The string value of a top-level field that the server writes before any nested object (rid, conv). */
    static String field(String frame, String name) {
        String key = "\"" + name + "\":\"";
        int at = frame.indexOf(key);
        if (at < 0) {
            return null;
        }
        int start = at + key.length();
        int end = frame.indexOf('"', start);
        return end < 0 ? null : frame.substring(start, end);
    }

    @Override
    public CompletableFuture<String> createRoom(String name) {
        String rid = "c" + ids.incrementAndGet();
        CompletableFuture<String> f = expect(rid);
        ws.send("{\"type\":\"create\",\"rid\":\"" + rid + "\",\"name\":\"" + name + "\"}");
        return f.thenApply(frame -> JSON.readTree(frame).path("conv").asString());
    }

    @Override
    public CompletableFuture<Void> join(String room) {
        String rid = "j" + ids.incrementAndGet();
        CompletableFuture<String> f = expect(rid);
        ws.send("{\"type\":\"join\",\"rid\":\"" + rid + "\",\"conv\":\"" + room + "\"}");
        return f.thenApply(x -> null);
    }

    @Override
    public CompletableFuture<Void> resync() {
        String rid = "s" + ids.incrementAndGet();
        CompletableFuture<String> f = expect(rid);
        ws.send("{\"type\":\"sync\",\"rid\":\"" + rid + "\",\"convs\":{\"r:lobby\":" + lobbySeq + "},\"limit\":1}");
        return f.thenApply(x -> null);
    }

    @Override
    public boolean sendToRoom(String room, String body, long intendedNanos) {
        return send("\"conv\":\"" + room + "\"", body, intendedNanos);
    }

    @Override
    public boolean sendDirect(BenchClient to, String body, long intendedNanos) {
        return send("\"to\":\"" + to.userId() + "\"", body, intendedNanos);
    }

    private boolean send(String target, String body, long intendedNanos) {
        WsConnection c = ws;
        long cmid;
        synchronized (this) {
            cmid = ++cmids;
        }
        return c != null && c.send("{\"type\":\"send\",\"rid\":\"m" + intendedNanos + "\",\"cmid\":\"b" + index + "."
                + cmid + "\"," + target + ",\"body\":\"" + body + "\"}");
    }

    @Override
    public void heartbeat() {
        WsConnection c = ws;
        if (c != null) {
            c.send("{\"type\":\"ping\",\"rid\":\"p\"}");
            if (System.nanoTime() - loginNanos > RENEW_AFTER.toNanos() && renewing.compareAndSet(false, true)) {
                renew();
            }
        }
    }

    /**
     * A new token for the same user, sent in-band on the connection open then; its {@code authed} ends the renewal, an
     * {@code error} (counted by the listener) or a failed login lets the next heartbeat try again.
     */
    private void renew() {
        login(http, baseUrl, login.nickname()).timeout(Duration.ofSeconds(30)).subscribe(fresh -> {
            login = fresh; // a reconnect from now on uses it
            WsConnection c = ws;
            if (c == null || !c.send("{\"type\":\"auth\",\"rid\":\"a\",\"token\":\"" + fresh.accessToken() + "\"}")) {
                renewing.set(false);
            }
        }, e -> {
            renewing.set(false);
            System.err.println("token renewal failed (client " + index + "): " + e);
        });
    }

    private static String stripSlash(String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }
}
