package io.wxim.testinfra;

import com.mongodb.reactivestreams.client.MongoClient;
import com.mongodb.reactivestreams.client.MongoClients;
import java.util.UUID;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;

/**
 * A reactive Mongo template on a database of its own (the prefix plus a random suffix) on the shared Mongo, for tests
 * without Spring: {@code @RegisterExtension static final TestMongo MONGO = new TestMongo("im_chat_test_x_");}, then
 * {@code MONGO.template()}. The client opens before the class's tests and closes after them.
 */
public final class TestMongo implements BeforeAllCallback, AfterAllCallback {
    private final String database;
    private MongoClient client;
    private ReactiveMongoTemplate template;

    public TestMongo(String databasePrefix) {
        this.database = databasePrefix + UUID.randomUUID().toString().substring(0, 8);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        client = MongoClients.create(TestInfra.mongoUri(database));
        template = new ReactiveMongoTemplate(client, database);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        client.close();
    }

    public ReactiveMongoTemplate template() {
        return template;
    }
}
