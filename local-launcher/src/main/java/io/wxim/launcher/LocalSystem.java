package io.wxim.launcher;

import io.wxim.auth.AuthApplication;
import io.wxim.chat.ChatApplication;
import io.wxim.gateway.GatewayApplication;
import io.wxim.gateway.config.ConnectionCapacity;
import io.wxim.history.HistoryApplication;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Starts the four services (and N gateways) in this JVM against a given Redis and MongoDB. Each service keeps its
 * own config name and package scan; auto-configurations a service does not use are excluded, because in one JVM
 * every service sees the whole classpath (e.g. Spring Security would otherwise lock auth-service down).
 * Used by {@link LocalLauncher} and by the end-to-end tests.
 */
public final class LocalSystem implements AutoCloseable {
    /** No tracing span per Redis command (each message costs several); the services' own yml says the same. */
    private static final String LETTUCE_TRACING =
            "org.springframework.boot.data.redis.autoconfigure.observation.LettuceObservationAutoConfiguration";
    private static final String SECURITY = String.join(",",
            "org.springframework.boot.security.autoconfigure.SecurityAutoConfiguration",
            "org.springframework.boot.security.autoconfigure.ReactiveUserDetailsServiceAutoConfiguration",
            "org.springframework.boot.security.autoconfigure.UserDetailsServiceAutoConfiguration",
            "org.springframework.boot.security.autoconfigure.web.reactive.ReactiveWebSecurityAutoConfiguration",
            "org.springframework.boot.security.autoconfigure.actuate.web.reactive.ReactiveManagementWebSecurityAutoConfiguration",
            "org.springframework.boot.security.oauth2.server.resource.autoconfigure.reactive.ReactiveOAuth2ResourceServerAutoConfiguration");
    private static final String MONGO = String.join(",",
            "org.springframework.boot.mongodb.autoconfigure.MongoAutoConfiguration",
            "org.springframework.boot.mongodb.autoconfigure.MongoReactiveAutoConfiguration",
            "org.springframework.boot.mongodb.autoconfigure.health.MongoHealthContributorAutoConfiguration",
            "org.springframework.boot.mongodb.autoconfigure.health.MongoReactiveHealthContributorAutoConfiguration",
            "org.springframework.boot.mongodb.autoconfigure.metrics.MongoMetricsAutoConfiguration",
            "org.springframework.boot.data.mongodb.autoconfigure.DataMongoAutoConfiguration",
            "org.springframework.boot.data.mongodb.autoconfigure.DataMongoReactiveAutoConfiguration",
            "org.springframework.boot.data.mongodb.autoconfigure.DataMongoReactiveRepositoriesAutoConfiguration",
            "org.springframework.boot.data.mongodb.autoconfigure.DataMongoRepositoriesAutoConfiguration");
    private static final String REDIS = String.join(",",
            "org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration",
            "org.springframework.boot.data.redis.autoconfigure.DataRedisReactiveAutoConfiguration",
            "org.springframework.boot.data.redis.autoconfigure.DataRedisRepositoriesAutoConfiguration",
            "org.springframework.boot.data.redis.autoconfigure.health.DataRedisHealthContributorAutoConfiguration",
            "org.springframework.boot.data.redis.autoconfigure.health.DataRedisReactiveHealthContributorAutoConfiguration",
            "org.springframework.boot.data.redis.autoconfigure.observation.LettuceObservationAutoConfiguration");

    /**
     * @param redisHost     Redis host
     * @param redisPort     Redis port
     * @param mongoUri      MongoDB connection string without a database (each service uses its own database)
     * @param dbPrefix      prefix of the database names (tests isolate runs with it)
     * @param ports         service ports
     * @param gatewayPorts  one port per gateway instance
     * @param devLogin      enable auth-service's dev login (local only: anyone can be anyone)
     * @param extra         more properties for every service ({@code key -> value})
     */
    public record Options(String redisHost, int redisPort, String mongoUri, String dbPrefix, Ports ports,
                          List<Integer> gatewayPorts, boolean devLogin, Map<String, String> extra) {
        public Options {
            gatewayPorts = List.copyOf(gatewayPorts);
            extra = Map.copyOf(extra);
        }
    }

    /**
     * Ports of the services behind the gateway; management (actuator) ports are {@code managementOffset} higher, or
     * off if 0. A port of 0 lets the OS pick a free one when the service binds (no race with other sockets; tests use
     * it): later services are given the bound port, and {@link #authPort()} / {@link #gatewayPorts()} tell it. Not
     * chat's: history and chat call each other, and history starts first with chat's address.
     */
    public record Ports(int auth, int history, int chat, int managementOffset) {
        public Ports {
            if (chat <= 0) {
                throw new IllegalArgumentException("chat-service needs a fixed port (history is given it first)");
            }
        }
    }

    private final List<ConfigurableApplicationContext> contexts = new ArrayList<>();
    private final List<Integer> boundGatewayPorts = new ArrayList<>();
    private final Options options;
    private int boundAuthPort;

    private LocalSystem(Options options) {
        this.options = options;
    }

    public static LocalSystem start(Options options) {
        boolean anyPicked = options.ports().auth() == 0 || options.ports().history() == 0
                || options.gatewayPorts().contains(0);
        if (anyPicked && options.ports().managementOffset() != 0) {
            throw new IllegalArgumentException("a management offset needs fixed ports");
        }
        LocalSystem system = new LocalSystem(options);
        try {
            system.startAll();
            return system;
        } catch (RuntimeException e) {
            system.close();
            throw e;
        }
    }

    /** The gateways' bound ports, in the order of {@link Options#gatewayPorts()}. */
    public List<Integer> gatewayPorts() {
        return List.copyOf(boundGatewayPorts);
    }

    /** auth-service's bound port. */
    public int authPort() {
        return boundAuthPort;
    }

    private void startAll() {
        Ports p = options.ports();
        // Payload encryption is on: a fresh gateway token per start, and the key-encryption key from the options
        // (the launcher keeps one under its data directory) or a fresh one.
        String gatewayKeysToken = randomBase64(32);
        Map<String, String> authProps = base("auth-service", p.auth(), "auth", SECURITY + "," + LETTUCE_TRACING);
        authProps.put("im.auth.dev-login.enabled", String.valueOf(options.devLogin()));
        authProps.put("im.auth.signing.generate-if-missing", "true");
        authProps.put("im.auth.encryption.enabled", "true");
        authProps.put("im.auth.encryption.gateway-token", gatewayKeysToken);
        authProps.putIfAbsent("im.auth.encryption.key-encryption-key", randomBase64(32));
        authProps.put("im.auth.encryption.key-encryption-key-file", "");
        boundAuthPort = run(AuthApplication.class, "auth-service", authProps);
        String auth = "http://127.0.0.1:" + boundAuthPort;

        // history and chat call each other: history is given chat's port before chat starts, so it cannot be 0
        Map<String, String> historyProps = base("history-service", p.history(), "history", REDIS);
        historyProps.put("im.history.chat-base-url", "http://127.0.0.1:" + p.chat());
        historyProps.putIfAbsent("im.history.media.url-key", randomBase64(32));
        historyProps.put("spring.security.oauth2.resourceserver.jwt.jwk-set-uri", auth + "/api/auth/jwks");
        String history = "http://127.0.0.1:" + run(HistoryApplication.class, "history-service", historyProps);

        Map<String, String> chatProps = base(ChatApplication.CONFIG_NAME, p.chat(), "chat", LETTUCE_TRACING);
        chatProps.put("im.chat.history.base-url", history);
        chatProps.put("spring.security.oauth2.resourceserver.jwt.jwk-set-uri", auth + "/api/auth/jwks");
        String chat = "http://127.0.0.1:" + run(ChatApplication.class, ChatApplication.CONFIG_NAME, chatProps);

        int index = 0;
        for (int port : options.gatewayPorts()) {
            index++;
            Map<String, String> gw = base(GatewayApplication.CONFIG_NAME, port, null, MONGO + "," + LETTUCE_TRACING);
            gw.put("im.gateway.node-id", "gw" + index);
            gw.put("im.gateway.own-event-loops", "true"); // stopping one gateway leaves the other services running
            gw.put("im.gateway.auth.jwks-uri", auth + "/api/auth/jwks");
            gw.put("im.gateway.routes.auth", auth);
            gw.put("im.gateway.routes.history", history);
            gw.put("im.gateway.routes.media", history);
            gw.put("im.gateway.routes.chat", chat);
            gw.put("im.gateway.secure.enabled", "true");
            gw.put("im.gateway.secure.keys-uri", auth + "/internal/encryption-keys");
            gw.put("im.gateway.secure.token", gatewayKeysToken);
            gw.put("spring.web.resources.add-mappings", "true");
            gw.put("spring.web.resources.static-locations", "classpath:/wxim-web-demo/");
            if (p.managementOffset() != 0) {
                gw.put("management.server.port", String.valueOf(port + p.managementOffset()));
            }
            boundGatewayPorts.add(run(GatewayApplication.class, GatewayApplication.CONFIG_NAME, gw,
                    gatewayDefaults(options.gatewayPorts().size())));
        }
    }

    /**
     * Each gateway's defaults here: this JVM holds every service and the store, whose connections to each other cost
     * two descriptors each, so the gateways share half of its open files and heap (ADR-24). Defaults: anything the
     * environment, system properties or the options set wins.
     */
    static Map<String, Object> gatewayDefaults(int gateways) {
        int capacity = ConnectionCapacity.inSharedJvm(ConnectionCapacity.openFileLimit(), ConnectionCapacity.maxHeap(), gateways);
        return capacity > 0 ? Map.of("im.gateway.ws.max-connections", capacity) : Map.of();
    }

    private static String randomBase64(int bytes) {
        byte[] random = new byte[bytes];
        new java.security.SecureRandom().nextBytes(random);
        return java.util.Base64.getEncoder().encodeToString(random);
    }

    private Map<String, String> base(String name, int port, String db, String exclude) {
        Map<String, String> props = new LinkedHashMap<>();
        props.put("server.port", String.valueOf(port));
        props.put("management.server.port", options.ports().managementOffset() == 0
                ? "-1" : String.valueOf(port + options.ports().managementOffset()));
        props.put("spring.main.banner-mode", "off");
        props.put("spring.application.name", name);
        props.put("spring.autoconfigure.exclude", exclude);
        props.put("spring.data.redis.host", options.redisHost());
        props.put("spring.data.redis.port", String.valueOf(options.redisPort()));
        if (db != null) {
            props.put("spring.mongodb.uri", withDatabase(options.mongoUri(), options.dbPrefix() + db));
        }
        props.put("spring.web.resources.add-mappings", "false"); // static files: the gateway only (set below)
        props.putAll(options.extra());
        return props;
    }

    /** Starts one service; returns the port its web server bound. */
    private int run(Class<?> app, String configName, Map<String, String> props) {
        return run(app, configName, props, Map.of());
    }

    /** ... with {@code defaults}: the lowest-priority properties (any other source overrides them). */
    private int run(Class<?> app, String configName, Map<String, String> props, Map<String, Object> defaults) {
        String[] args = props.entrySet().stream().map(e -> "--" + e.getKey() + "=" + e.getValue()).toArray(String[]::new);
        ConfigurableApplicationContext context = new SpringApplicationBuilder(app)
                .properties(defaults)
                .properties("spring.config.name=" + configName)
                .registerShutdownHook(false)
                .run(args);
        contexts.add(context);
        return context.getEnvironment().getRequiredProperty("local.server.port", Integer.class);
    }

    static String withDatabase(String uri, String database) {
        int query = uri.indexOf('?');
        String path = query < 0 ? uri : uri.substring(0, query);
        String params = query < 0 ? "" : uri.substring(query);
        int hosts = path.indexOf("://") + 3;
        int slash = path.indexOf('/', hosts);
        String base = slash < 0 ? path : path.substring(0, slash);
        return base + "/" + database + params;
    }

    /** Stops gateways first (clients reconnect elsewhere), then chat, history, auth. */
    @Override
    public void close() {
        List<ConfigurableApplicationContext> reversed = new ArrayList<>(contexts);
        Collections.reverse(reversed);
        for (ConfigurableApplicationContext context : reversed) {
            try {
                context.close();
            } catch (RuntimeException e) {
                System.err.println("shutdown problem: " + e);
            }
        }
        contexts.clear();
    }

    /** Stops one gateway (by index in {@link Options#gatewayPorts()}), as a node failure or drain would. */
    public void stopGateway(int index) {
        int first = contexts.size() - options.gatewayPorts().size();
        contexts.get(first + index).close();
    }
}
