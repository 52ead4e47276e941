package io.wxim.launcher;

import de.bwaldvogel.mongo.MongoServer;
import io.wxim.launcher.store.StoreBackend;
import io.wxim.wechatfake.FakeWeChatServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One command, whole system: an embedded redis-server (the real binary, AOF on, data under the data directory),
 * an embedded MongoDB-compatible server (mongo-java-server with its H2 file backend, so history survives restarts),
 * auth, history, chat and one gateway with dev login enabled, and WeChat login pointed at an in-process
 * {@link FakeWeChatServer} (any code {@code code-<anything>} logs in; fake appid, AppSecret and session_key vault key
 * are made up at each start), or at WeChat itself with {@code WECHAT_APPID} and {@code WECHAT_SECRET} set
 * ({@link WeChatLogin}). Setting {@code REDIS_HOST}/{@code REDIS_PORT} or {@code MONGODB_URI} uses those servers
 * instead. LOCAL ONLY: dev login lets anyone sign in as any nickname, and so does the fake WeChat.
 *
 * <p>Environment: {@code WXIM_DATA} (data directory, default {@code ./.local-data}), {@code WXIM_PORT} (gateway,
 * default 8080; services use the next three ports, embedded Redis {@code WXIM_REDIS_PORT} default 6390,
 * embedded Mongo {@code WXIM_MONGO_PORT} default 27090), {@code WXIM_BIND} (where the four services and their
 * management ports listen: {@code 127.0.0.1}, this machine only, by default, since dev login lets anyone sign in; or
 * {@code 0.0.0.0} / {@code ::}, every address, for a phone or a DevTools elsewhere on the network; the services still
 * call each other on 127.0.0.1, so a single other address is refused).
 */
public final class LocalLauncher {
    /**
     * How long the services get to stop before the in-process store and the embedded Redis are stopped anyway: above
     * a healthy worst case (the gateway's drain, at most ~20 s, then Spring's graceful phase, at most 30 s, for each of
     * the four applications one after the other: ~140 s). They stop after the services, so the drain still reaches
     * Redis.
     */
    static final Duration SHUTDOWN_LIMIT = Duration.ofSeconds(150);
    /** Where the services listen unless {@code WXIM_BIND} says otherwise: this machine only. */
    static final String LOOPBACK = "127.0.0.1";
    /** The other addresses {@code WXIM_BIND} takes: every address of this machine (either spelling). */
    private static final List<String> EVERY_ADDRESS = List.of("0.0.0.0", "::");

    private LocalLauncher() {
    }

    public static void main(String[] args) {
        long started = System.nanoTime();
        Started running = new Started();
        try {
            Path data = Path.of(env("WXIM_DATA", ".local-data")).toAbsolutePath();
            Files.createDirectories(data);
            running.dataLock = DataDirLock.acquire(data).orElse(null);
            // From here on, any exit (a failed start, Ctrl+C while starting, a stop) stops what has started, in order.
            Runtime.getRuntime().addShutdownHook(new Thread(running::stop, "wxim-local-shutdown"));
            start(running, data, started);
        } catch (IOException | RuntimeException | Error e) {
            // A message, not a stack trace; the embedded servers' threads would keep the JVM alive: exit with an error
            // (the hook stops what has started).
            System.err.println("wxim did not start: "
                    + (e instanceof IOException || e.getClass() == IllegalArgumentException.class ? e.getMessage() : e.toString()));
            System.exit(1);
        }
    }

    private static void start(Started running, Path data, long started) throws IOException {
        int gatewayPort = Integer.parseInt(env("WXIM_PORT", "8080"));
        Optional<WeChatLogin.Real> realWeChat = WeChatLogin.real(System::getenv); // checked before anything starts
        String bind = bindAddress(env("WXIM_BIND", LOOPBACK)); // likewise
        String redisHost = System.getenv("REDIS_HOST");
        int redisPort;
        if (redisHost == null) {
            redisHost = "127.0.0.1";
            redisPort = Integer.parseInt(env("WXIM_REDIS_PORT", "6390"));
            Path redisDir = Files.createDirectories(data.resolve("redis"));
            (running.dataLock == null ? Optional.<Long>empty() : LeftOverRedis.stop(redisDir)).ifPresent(pid -> System.out.printf(
                    "stopped the redis-server (pid %d) an earlier launcher on %s left running (it was killed)%n", pid, data));
            running.redis = EmbeddedRedis.launch(redisPort, redisDir); // known to the hook before it is ready
            running.redis.awaitReady();
        } else {
            redisPort = Integer.parseInt(env("REDIS_PORT", "6379"));
        }

        String mongoUri = System.getenv("MONGODB_URI");
        if (mongoUri == null) {
            int mongoPort = Integer.parseInt(env("WXIM_MONGO_PORT", "27090"));
            MongoServer mongo = new MongoServer(StoreBackend.open(data.resolve("mongo.mv").toString(), 1000));
            running.mongo = mongo;
            mongo.bind("127.0.0.1", mongoPort);
            mongoUri = "mongodb://127.0.0.1:" + mongoPort;
        }

        SecureRandom random = new SecureRandom();
        Map<String, String> extra = new LinkedHashMap<>();
        extra.put("server.address", bind); // every service, and its management port
        extra.put("management.server.address", bind);
        extra.put("im.gateway.allowed-origins", "http://localhost:" + gatewayPort + ",http://127.0.0.1:" + gatewayPort);
        String weChatLine;
        if (realWeChat.isPresent()) {
            extra.putAll(WeChatLogin.real(realWeChat.get(), randomBytes(random, 32)));
            weChatLine = "login goes to WeChat for mini-program " + realWeChat.get().appId() + ": its wx.login() codes log in";
        } else {
            FakeWeChatServer wechat = FakeWeChatServer.start("wx" + HexFormat.of().formatHex(randomBytes(random, 8)),
                    HexFormat.of().formatHex(randomBytes(random, 16)));
            running.wechat = wechat;
            extra.putAll(WeChatLogin.fake(wechat, randomBytes(random, 32)));
            weChatLine = "login goes to a local fake WeChat at " + wechat.baseUrl() + ": any code `code-<anything>` logs in"
                    + " (set " + WeChatLogin.APP_ID + " and " + WeChatLogin.SECRET + " for the real WeChat)";
        }
        extra.put("im.auth.encryption.key-encryption-key", localKeyEncryptionKey(data, random));

        running.system = LocalSystem.start(new LocalSystem.Options(redisHost, redisPort, mongoUri, "im_",
                new LocalSystem.Ports(gatewayPort + 1, gatewayPort + 2, gatewayPort + 3, 1000),
                List.of(gatewayPort), true, extra));

        long millis = (System.nanoTime() - started) / 1_000_000;
        System.out.printf("%n  wxim is running (started in %d ms). LOCAL ONLY: dev login is enabled.%n"
                        + "  Open      http://localhost:%d/%n"
                        + "  WebSocket ws://127.0.0.1:%d/ws   API http://127.0.0.1:%d/api/**%n"
                        + "  WeChat    %s%n"
                        + "  Data      %s   (Redis %s:%d, Mongo %s)%n"
                        + "%s"
                        + "  Stop with Ctrl+C.%n%n",
                millis, gatewayPort, gatewayPort, gatewayPort, weChatLine, data, redisHost, redisPort, mongoUri,
                LOOPBACK.equals(bind) ? "" : String.format("  Listening on every address (WXIM_BIND=%s): other machines"
                        + " can reach it, and anyone there can sign in with dev login.%n", bind));
    }

    /**
     * {@code WXIM_BIND} checked: loopback or every address. A single other address is refused, since the services call
     * each other on 127.0.0.1, which would then not answer.
     */
    static String bindAddress(String value) {
        if (LOOPBACK.equals(value) || EVERY_ADDRESS.contains(value)) {
            return value;
        }
        throw new IllegalArgumentException("WXIM_BIND=" + value + " is not supported: use 127.0.0.1 (this machine only, the"
                + " default) or 0.0.0.0 / :: (every address of this machine: others on the network can then sign in)");
    }

    /**
     * The key that seals payload-encryption private keys in the local store, kept next to the data (owner-only) so
     * that keys created in an earlier run still open. A deployment mounts its own as a secret instead.
     */
    private static String localKeyEncryptionKey(Path data, SecureRandom random) throws IOException {
        Path file = data.resolve("key-encryption-key");
        if (Files.isRegularFile(file)) {
            return Files.readString(file).strip();
        }
        String key = Base64.getEncoder().encodeToString(randomBytes(random, 32));
        Files.writeString(file, key + "\n");
        try {
            Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: the data directory's own permissions apply
        }
        return key;
    }

    private static byte[] randomBytes(SecureRandom random, int count) {
        byte[] bytes = new byte[count];
        random.nextBytes(bytes);
        return bytes;
    }

    /**
     * What has started so far (null: not, or not embedded), stopped by the JVM shutdown hook (SIGTERM, Ctrl+C, a failed
     * start): the services first (bounded), then the fake WeChat server, the store and Redis. Nothing stops Redis
     * earlier: {@link EmbeddedRedis} adds no hook of its own and does not get Ctrl+C.
     */
    private static final class Started {
        /**
         * Held (strongly: an unreachable channel is closed by its cleaner) until everything else has stopped; null where
         * the file system has no locks.
         */
        volatile DataDirLock dataLock;
        volatile EmbeddedRedis redis;
        volatile MongoServer mongo;
        volatile FakeWeChatServer wechat;
        volatile LocalSystem system;

        void stop() {
            long started = System.nanoTime();
            System.out.printf("stopping (at most %d s)...%n", SHUTDOWN_LIMIT.toSeconds());
            LocalSystem services = system;
            BoundedShutdown.run(services == null ? () -> { } : services::close, SHUTDOWN_LIMIT, this::stopTheRest);
            try {
                if (dataLock != null) {
                    dataLock.release(); // the next launcher on this directory may start now
                }
            } catch (IOException e) {
                // released by the JVM's exit in a moment
            }
            System.out.printf("stopped in %d ms%n", (System.nanoTime() - started) / 1_000_000);
        }

        private void stopTheRest() {
            try {
                if (wechat != null) {
                    wechat.close();
                }
            } finally {
                if (mongo != null) {
                    mongo.shutdown();
                }
                if (redis != null && redis.running()) { // else it never started (its output said why) or died
                    try {
                        redis.close();
                        System.out.println("redis-server stopped");
                    } catch (IOException e) {
                        System.err.println("redis-server did not stop cleanly: " + e);
                    }
                }
            }
        }
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }
}
