package io.wxim.history.config;

import io.wxim.history.message.MessageIndexInitializer;
import io.wxim.history.message.MessageRepository;
import io.wxim.history.message.MediaClaims;
import io.wxim.history.message.MessageService;
import io.wxim.history.message.MessageStoreHealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;

/** Wires the message store. The classes are plain so tests can build two "replicas" over one database. */
@Configuration(proxyBeanMethods = false)
class StoreConfig {

    @Bean
    MessageRepository messageRepository(ReactiveMongoTemplate mongo, HistoryProperties props) {
        return new MessageRepository(mongo, props.mongoTimeout());
    }

    @Bean
    MessageService messageService(MessageRepository repository, HistoryProperties props, MediaClaims media) {
        return new MessageService(repository, props, media);
    }

    @Bean
    MessageIndexInitializer messageIndexInitializer(MessageRepository repository) {
        return new MessageIndexInitializer(repository);
    }

    /** Contributes "messageStore" to health and to the readiness group. */
    @Bean
    MessageStoreHealthIndicator messageStoreHealthIndicator(MessageRepository repository) {
        return new MessageStoreHealthIndicator(repository);
    }
}
