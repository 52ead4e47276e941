package io.wxim.history.media;

import io.wxim.history.config.HistoryProperties;
import io.wxim.history.membership.ChatMembershipClient;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Base64;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.gridfs.ReactiveGridFsTemplate;

/** Wires uploads, signed URLs, media claims for messages and the orphan sweepers (records, and GridFS files). */
@Configuration(proxyBeanMethods = false)
class MediaConfig {
    private static final Logger log = LoggerFactory.getLogger(MediaConfig.class);

    @Bean
    MediaUrls mediaUrls(MediaProperties props) {
        byte[] key;
        if (props.urlKey() == null) {
            key = new byte[32];
            new SecureRandom().nextBytes(key);
            log.warn("im.history.media.url-key (env IM_MEDIA_URL_KEY) is not set: signed media URLs use a random key "
                    + "per start, so they stop working at a restart and differ between replicas");
        } else {
            try {
                key = Base64.getDecoder().decode(props.urlKey());
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException("im.history.media.url-key (env IM_MEDIA_URL_KEY) is not base64");
            }
            if (key.length < 32) {
                throw new IllegalStateException("im.history.media.url-key (env IM_MEDIA_URL_KEY) must be base64 of at "
                        + "least 32 random bytes (openssl rand -base64 32)");
            }
        }
        return new MediaUrls(key, props.urlTtl(), Clock.systemUTC());
    }

    @Bean
    MediaRepository mediaRepository(ReactiveMongoTemplate mongo, HistoryProperties history) {
        return new MediaRepository(mongo, history.mongoTimeout());
    }

    @Bean
    MediaIndexInitializer mediaIndexInitializer(MediaRepository repository) {
        return new MediaIndexInitializer(repository);
    }

    @Bean
    MediaFiles mediaFiles(ReactiveGridFsTemplate gridFs, HistoryProperties history, MediaProperties props) {
        return new MediaFiles(gridFs, history.mongoTimeout(), props.downloadIdleTimeout());
    }

    @Bean
    MediaUploads mediaUploads(MediaFiles files, MediaRepository repository, MediaProperties props) {
        return new MediaUploads(files, repository, props, Clock.systemUTC());
    }

    @Bean
    MediaService mediaService(MediaRepository repository, io.wxim.history.message.MessageRepository messages,
                              MediaFiles files, MediaUrls urls, ChatMembershipClient membership) {
        return new MediaService(repository, messages, files, urls, membership, Clock.systemUTC());
    }

    @Bean
    OrphanSweeper orphanSweeper(MediaRepository repository, MediaFiles files, MediaService media,
                                MediaProperties props, HistoryProperties history,
                                io.wxim.history.message.MessageService messages) {
        return new OrphanSweeper(repository, files, media, props, Clock.systemUTC(), history.recallHoldAge(),
                messages::releaseIfUnshown);
    }

    @Bean
    OrphanFileSweeper orphanFileSweeper(ReactiveMongoTemplate mongo, HistoryProperties history, MediaProperties props) {
        return new OrphanFileSweeper(new OrphanFileRepository(mongo, history.mongoTimeout()),
                new SweepRepository(mongo, history.mongoTimeout()), props.fileSweep(), Clock.systemUTC());
    }
}
