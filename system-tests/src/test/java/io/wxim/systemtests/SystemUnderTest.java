package io.wxim.systemtests;

import io.wxim.testinfra.TestInfra;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import redis.embedded.core.ExecutableProvider;

/**
 * The whole system as separate OS processes on 127.0.0.1 and free ports: redis-server (the binary embedded-redis
 * ships, started directly so that its PID is ours to kill), mongo-java-server with an H2 file in its own JVM
 * ({@link MongoServerMain}), and the exec jars of auth, history, chat and two gateways with the properties
 * {@code LocalSystem} uses (dev login on, signing key generated, payload encryption off). Logs go to
 * {@code target/system-tests/<name>.log}.
 */
final class SystemUnderTest implements AutoCloseable {
    static final Duration START_WAIT = Duration.ofSeconds(120);
    private static final List<String> JVM_FLAGS = List.of("-Xmx192m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
            "-Xss512k", "-XX:ReservedCodeCacheSize=64m");

    final Path work;
    /**
     * Every port handed out: the OS may return a just-closed free port twice (once it gave a gateway its own port as
     * management port, and the gateway refused to start).
     */
    private final java.util.Set<Integer> usedPorts = new java.util.HashSet<>();
    final int redisPort = uniquePort();
    final int mongoPort = uniquePort();
    final int authPort = uniquePort();
    final int historyPort = uniquePort();
    final int chatPort = uniquePort();
    final List<Integer> gatewayPorts = List.of(uniquePort(), uniquePort());
    private final Map<Integer, Integer> managementPorts = new LinkedHashMap<>();
    private final List<ManagedProcess> processes = new ArrayList<>();
    ManagedProcess redis;
    ManagedProcess mongo;
    ManagedProcess chatService;
    private final ManagedProcess[] gateways = new ManagedProcess[2];

    SystemUnderTest(Path work) {
        this.work = work;
    }

    static SystemUnderTest start() {
        Path work = Path.of(System.getProperty("system.work", "target/system-tests")).toAbsolutePath();
        SystemUnderTest system = new SystemUnderTest(work);
        // Also when failsafe stops the test JVM (timeout): no process of ours outlives it.
        Runtime.getRuntime().addShutdownHook(new Thread(system::close, "system-tests-stop"));
        try {
            system.startAll();
            return system;
        } catch (RuntimeException | Error e) {
            system.close();
            throw e;
        }
    }

    private void startAll() {
        try {
            Files.createDirectories(work.resolve("redis"));
            Files.deleteIfExists(work.resolve("redis/appendonly.aof"));
            Files.deleteIfExists(work.resolve("mongo.mv"));
            File redisBinary = ExecutableProvider.newJarResourceProvider().get();
            redisBinary.setExecutable(true);
            redis = track(ManagedProcess.start("redis", List.of(redisBinary.getAbsolutePath(), "--port", String.valueOf(redisPort),
                    "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes", "--appendfsync", "everysec",
                    "--dir", work.resolve("redis").toString()), log("redis")));
            mongo = track(ManagedProcess.start("mongo", List.of(java(), "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                    "-cp", testClassPath(), MongoServerMain.class.getName(), String.valueOf(mongoPort),
                    work.resolve("mongo.mv").toString()), log("mongo")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        redis.awaitPort(redisPort, START_WAIT);
        mongo.awaitPort(mongoPort, START_WAIT);

        String auth = "http://127.0.0.1:" + authPort;
        String history = "http://127.0.0.1:" + historyPort;
        String chat = "http://127.0.0.1:" + chatPort;
        Map<String, String> authProps = base(authPort, "auth");
        authProps.put("im.auth.dev-login.enabled", "true");
        authProps.put("im.auth.signing.generate-if-missing", "true");
        ManagedProcess authProcess = service("auth-service", authProps);
        Map<String, String> historyProps = base(historyPort, "history");
        historyProps.put("im.history.chat-base-url", chat);
        historyProps.put("im.history.media.url-key", randomBase64());
        historyProps.put("spring.security.oauth2.resourceserver.jwt.jwk-set-uri", auth + "/api/auth/jwks");
        ManagedProcess historyProcess = service("history-service", historyProps);
        Map<String, String> chatProps = base(chatPort, "chat");
        chatProps.put("im.chat.history.base-url", history);
        chatProps.put("im.chat.node-sweep-interval", "2s"); // dead gateways' connections ended within seconds
        chatProps.put("spring.security.oauth2.resourceserver.jwt.jwk-set-uri", auth + "/api/auth/jwks");
        ManagedProcess chatProcess = service("chat-service", chatProps);
        chatService = chatProcess;
        for (int i = 0; i < 2; i++) {
            gateways[i] = newGateway(i);
        }
        List<CompletableFuture<Void>> ready = new ArrayList<>();
        for (var entry : Map.of(authProcess, authPort, historyProcess, historyPort, chatProcess, chatPort,
                gateways[0], gatewayPorts.get(0), gateways[1], gatewayPorts.get(1)).entrySet()) {
            ready.add(CompletableFuture.runAsync(() -> awaitHealthy(entry.getKey(), entry.getValue())));
        }
        try {
            CompletableFuture.allOf(ready.toArray(CompletableFuture[]::new)).join();
        } catch (java.util.concurrent.CompletionException e) {
            throw e.getCause() instanceof AssertionError a ? a : new AssertionError(e.getCause());
        }
    }

    private ManagedProcess newGateway(int index) {
        int port = gatewayPorts.get(index);
        Map<String, String> gw = base(port, null);
        gw.put("im.gateway.node-id", "gw" + (index + 1));
        gw.put("spring.data.redis.client-name", "gw" + (index + 1)); // CLIENT LIST names its connections
        gw.put("im.gateway.auth.jwks-uri", "http://127.0.0.1:" + authPort + "/api/auth/jwks");
        gw.put("im.gateway.routes.auth", "http://127.0.0.1:" + authPort);
        gw.put("im.gateway.routes.history", "http://127.0.0.1:" + historyPort);
        gw.put("im.gateway.routes.media", "http://127.0.0.1:" + historyPort);
        gw.put("im.gateway.routes.chat", "http://127.0.0.1:" + chatPort);
        return service("gateway-service", "gw" + (index + 1), gw);
    }

    void awaitHealthy(ManagedProcess p, int port) {
        p.awaitHttpOk("http://127.0.0.1:" + managementPorts.get(port) + "/actuator/health", START_WAIT);
    }

    /** kill -9 of gateway {@code index} (0 or 1). */
    void killGateway(int index) {
        gateways[index].kill9();
    }

    /** Starts gateway {@code index} again on the same port and waits until it is healthy. */
    void restartGateway(int index) {
        if (gateways[index].isAlive()) {
            return;
        }
        gateways[index].start();
        awaitHealthy(gateways[index], gatewayPorts.get(index));
    }

    /** Waits until gateway {@code index} answers 200 on /actuator/health (readiness included). */
    void awaitGatewayHealthy(int index, Duration wait) {
        gateways[index].awaitHttpOk("http://127.0.0.1:" + managementPorts.get(gatewayPorts.get(index)) + "/actuator/health", wait);
    }

    ManagedProcess gateway(int index) {
        return gateways[index];
    }

    /** Redis loses everything: kill -9, its AOF/RDB directory emptied, started again on the same port. */
    void restartRedisWithoutData() {
        redis.kill9();
        try (var files = Files.list(work.resolve("redis"))) {
            for (Path f : files.toList()) {
                if (Files.isDirectory(f)) {
                    try (var inner = Files.walk(f)) {
                        inner.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                    }
                } else {
                    Files.delete(f);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        restartRedis();
    }

    void restartMongo() {
        mongo.start();
        mongo.awaitPort(mongoPort, START_WAIT);
    }

    /** Starts chat-service again (same port and properties) and waits until it is healthy. */
    void restartChat() {
        chatService.start();
        awaitHealthy(chatService, chatPort);
    }

    void restartRedis() {
        redis.start();
        redis.awaitPort(redisPort, START_WAIT);
    }

    private int uniquePort() {
        for (int i = 0; i < 100; i++) {
            int port = TestInfra.freePort();
            if (usedPorts.add(port)) {
                return port;
            }
        }
        throw new AssertionError("no new free port in 100 tries");
    }

    private Map<String, String> base(int port, String db) {
        int management = uniquePort();
        managementPorts.put(port, management);
        Map<String, String> props = new LinkedHashMap<>();
        props.put("server.port", String.valueOf(port));
        props.put("server.address", "127.0.0.1");
        props.put("management.server.port", String.valueOf(management));
        props.put("management.server.address", "127.0.0.1");
        props.put("spring.main.banner-mode", "off");
        props.put("spring.data.redis.host", "127.0.0.1");
        props.put("spring.data.redis.port", String.valueOf(redisPort));
        if (db != null) {
            props.put("spring.mongodb.uri", "mongodb://127.0.0.1:" + mongoPort + "/st_" + db);
        }
        return props;
    }

    private ManagedProcess service(String module, Map<String, String> props) {
        return service(module, module, props);
    }

    private ManagedProcess service(String module, String name, Map<String, String> props) {
        Path jar = Path.of(System.getProperty("system.jars", ".."), module, "target",
                module + "-" + System.getProperty("system.version", "0.1.0-SNAPSHOT") + "-exec.jar").toAbsolutePath().normalize();
        if (!Files.isRegularFile(jar)) {
            throw new AssertionError("missing " + jar + ": package the services first (mvn -o package -pl system-tests -am)");
        }
        List<String> command = new ArrayList<>();
        command.add(java());
        command.addAll(JVM_FLAGS);
        command.add("-jar");
        command.add(jar.toString());
        props.forEach((k, v) -> command.add("--" + k + "=" + v));
        return track(ManagedProcess.start(name, command, log(name)));
    }

    private ManagedProcess track(ManagedProcess p) {
        processes.add(p);
        return p;
    }

    private Path log(String name) {
        return work.resolve(name + ".log");
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static String testClassPath() {
        return System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    }

    private static String randomBase64() {
        byte[] bytes = new byte[32];
        new SecureRandom().nextBytes(bytes);
        return Base64.getEncoder().encodeToString(bytes);
    }

    /** Gateways first, then the services, then the stores; each destroyed, then forcibly. */
    @Override
    public void close() {
        List<ManagedProcess> reversed = new ArrayList<>(processes);
        java.util.Collections.reverse(reversed);
        reversed.parallelStream().forEach(ManagedProcess::close);
    }
}
