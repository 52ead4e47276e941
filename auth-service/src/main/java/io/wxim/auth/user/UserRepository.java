package io.wxim.auth.user;

import static org.springframework.data.mongodb.core.query.Criteria.where;
import static org.springframework.data.mongodb.core.query.Query.query;

import io.wxim.auth.config.AuthProperties;
import java.time.Instant;
import org.springframework.data.mongodb.core.FindAndModifyOptions;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.query.Update;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Mono;

/** Collections {@code users} and the login link collections. Every call is bounded by {@code mongoTimeout}. */
@Repository
class UserRepository {
    private final ReactiveMongoTemplate mongo;
    private final AuthProperties props;

    UserRepository(ReactiveMongoTemplate mongo, AuthProperties props) {
        this.mongo = mongo;
        this.props = props;
    }

    Mono<UserDocument> findById(String userId) {
        return mongo.findById(userId, UserDocument.class).timeout(props.mongoTimeout());
    }

    /** Creates the user if absent (createdAt = now) and sets the non-null profile fields; returns the new state. */
    Mono<UserDocument> upsertProfile(String userId, ProfileUpdate profile, Instant now) {
        Update update = new Update().set("updatedAt", now).setOnInsert("createdAt", now);
        if (profile.nickname() != null) {
            update.set("nickname", profile.nickname());
        }
        if (profile.avatarUrl() != null) {
            update.set("avatarUrl", profile.avatarUrl());
        }
        return mongo.findAndModify(query(where("_id").is(userId)), update,
                        FindAndModifyOptions.options().upsert(true).returnNew(true), UserDocument.class)
                .timeout(props.mongoTimeout());
    }

    Mono<LoginLink> findLink(LoginMethod method, String key) {
        return mongo.findById(key, LoginLink.class, method.collection()).timeout(props.mongoTimeout());
    }

    /** Inserts the link; fails with {@code DuplicateKeyException} if the key is already linked. */
    Mono<LoginLink> insertLink(LoginMethod method, LoginLink link) {
        return mongo.insert(link, method.collection()).timeout(props.mongoTimeout());
    }
}
