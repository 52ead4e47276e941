package io.wxim.testinfra;

import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.mongodb.MongoDBContainer;
import redis.embedded.RedisServer;

/**
 * One Redis and one MongoDB per test JVM, started lazily and shared by every test class.
 *
 * <p>Chosen automatically: Testcontainers ({@code redis:7-alpine}, {@code mongo:7}) when a Docker engine answers,
 * otherwise the real redis-server binary shipped by embedded-redis on a free port plus mongo-java-server on a free
 * port. Override with {@code -Dtest.infra=containers|embedded}; use an external Redis with
 * {@code -Dtest.redis=host:port} and an external Mongo with {@code -Dtest.mongo=mongodb://...}. It never skips:
 * if the chosen infrastructure cannot start, the tests fail.
 */
public final class TestInfra {
    private static final Logger log = LoggerFactory.getLogger(TestInfra.class);
    private static volatile Endpoints endpoints;

    /** Where the shared servers listen. */
    public record Endpoints(String mode, String redisHost, int redisPort, String mongoUri) {
    }

    private TestInfra() {
    }

    public static String redisHost() {
        return get().redisHost();
    }

    public static int redisPort() {
        return get().redisPort();
    }

    /** A Mongo connection string without a database; each service picks its own database name. */
    public static String mongoUri() {
        return get().mongoUri();
    }

    public static String mongoUri(String database) {
        String base = mongoUri();
        int query = base.indexOf('?');
        String path = query < 0 ? base : base.substring(0, query);
        String params = query < 0 ? "" : base.substring(query);
        return path.replaceAll("/+$", "") + "/" + database + params;
    }

    public static String mode() {
        return get().mode();
    }

    public static Endpoints get() {
        Endpoints e = endpoints;
        if (e == null) {
            synchronized (TestInfra.class) {
                if (endpoints == null) {
                    endpoints = start();
                    log.info("test infrastructure: mode={} redis={}:{} mongo={}", endpoints.mode(),
                            endpoints.redisHost(), endpoints.redisPort(), endpoints.mongoUri());
                }
                e = endpoints;
            }
        }
        return e;
    }

    private static Endpoints start() {
        String mode = System.getProperty("test.infra", "auto");
        boolean containers = switch (mode) {
            case "containers" -> true;
            case "embedded" -> false;
            case "auto" -> dockerAvailable();
            default -> throw new IllegalStateException("test.infra must be auto, containers or embedded, was " + mode);
        };
        String externalRedis = System.getProperty("test.redis");
        String externalMongo = System.getProperty("test.mongo");

        String redisHost;
        int redisPort;
        if (externalRedis != null) {
            String[] hp = externalRedis.split(":");
            redisHost = hp[0];
            redisPort = Integer.parseInt(hp[1]);
        } else if (containers) {
            GenericContainer<?> redis = new GenericContainer<>("redis:7-alpine").withExposedPorts(6379);
            redis.start();
            redisHost = redis.getHost();
            redisPort = redis.getMappedPort(6379);
        } else {
            redisHost = "127.0.0.1";
            redisPort = startEmbeddedRedis();
        }

        String mongoUri;
        if (externalMongo != null) {
            mongoUri = externalMongo;
        } else if (containers) {
            MongoDBContainer mongo = new MongoDBContainer("mongo:7");
            mongo.start();
            mongoUri = mongo.getConnectionString();
        } else {
            MongoServer server = new MongoServer(new MemoryBackend());
            server.bind("127.0.0.1", 0);
            InetSocketAddress address = server.getLocalAddress();
            Runtime.getRuntime().addShutdownHook(new Thread(server::shutdownNow, "mongo-java-server-stop"));
            mongoUri = "mongodb://127.0.0.1:" + address.getPort();
        }
        return new Endpoints(containers ? "containers" : "embedded", redisHost, redisPort, mongoUri);
    }

    private static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    private static int startEmbeddedRedis() {
        IOException last = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            int port = freePort();
            try {
                RedisServer server = RedisServer.newRedisServer()
                        .port(port)
                        .bind("127.0.0.1")
                        .setting("save \"\"")
                        .setting("appendonly no")
                        .build();
                server.start();
                Runtime.getRuntime().addShutdownHook(new Thread(() -> stopQuietly(server), "embedded-redis-stop"));
                return port;
            } catch (IOException e) {
                last = e;
            }
        }
        throw new IllegalStateException("embedded redis-server did not start", last);
    }

    private static void stopQuietly(RedisServer server) {
        try {
            server.stop();
        } catch (IOException e) {
            log.warn("embedded redis-server did not stop cleanly: {}", e.toString());
        }
    }

    /**
     * A started Lettuce connection factory on the shared Redis, for tests without Spring, with the client options the
     * services run with ({@code redis-support}); destroy it after use.
     */
    public static org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory redisConnectionFactory() {
        var factory = new org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory(
                new org.springframework.data.redis.connection.RedisStandaloneConfiguration(redisHost(), redisPort()),
                org.springframework.data.redis.connection.lettuce.LettuceClientConfiguration.builder()
                        .clientOptions(io.wxim.redis.RedisClientAutoConfiguration.apply(io.lettuce.core.ClientOptions.builder()).build())
                        .build());
        factory.afterPropertiesSet();
        factory.start();
        return factory;
    }

    /** A port that was free a moment ago (the OS picks it). */
    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free port", e);
        }
    }
}
