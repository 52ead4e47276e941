package io.wxim.systemtests;

import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import java.util.concurrent.CountDownLatch;

/**
 * MongoDB for the system tests, in a JVM of its own so that a test can kill it: mongo-java-server with its H2 file
 * backend, bound to 127.0.0.1. Usage: {@code MongoServerMain <port> <h2 file>}; restarting on the same file keeps the
 * data. The H2 store commits every 50 ms (not the default second), so a kill -9 loses at most that much; the tests
 * still let writes settle before they kill it, because a real MongoDB acknowledges only journalled writes and this
 * store cannot promise that (see docs/reliability.md).
 */
public final class MongoServerMain {
    private MongoServerMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        int port = Integer.parseInt(args[0]);
        H2Backend backend = new H2Backend(args[1]);
        backend.getMvStore().setAutoCommitDelay(50);
        MongoServer server = new MongoServer(backend);
        server.bind("127.0.0.1", port);
        System.out.println("mongo-java-server listening on 127.0.0.1:" + port + " file " + args[1]);
        Runtime.getRuntime().addShutdownHook(new Thread(server::shutdown, "mongo-stop"));
        new CountDownLatch(1).await();
    }
}
