package io.wxim.auth.user;

import io.wxim.auth.config.AuthProperties;
import java.time.Instant;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.data.annotation.Id;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.mapping.Document;
import org.springframework.data.mongodb.core.query.Criteria;
import org.springframework.data.mongodb.core.query.Query;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.stereotype.Service;
import org.springframework.web.ErrorResponseException;
import reactor.core.publisher.Mono;

/**
 * Banned users (collection {@code bans}: {@code {_id: userId, at}}). A banned user cannot log in or refresh (403);
 * {@code SessionRevoker.revokeUser} ends the tokens and connections they hold.
 */
@Service
public class BanService {
    @Document("bans")
    record Ban(@Id String userId, Instant at) {
    }

    private final ReactiveMongoTemplate mongo;
    private final UserRepository users;
    private final AuthProperties props;

    BanService(ReactiveMongoTemplate mongo, UserRepository users, AuthProperties props) {
        this.mongo = mongo;
        this.users = users;
        this.props = props;
    }

    /** Bans an existing user (idempotent); emits false if there is no such user. */
    public Mono<Boolean> ban(String userId, Instant now) {
        return users.findById(userId)
                .flatMap(user -> mongo.insert(new Ban(userId, now)).thenReturn(true)
                        .onErrorResume(DuplicateKeyException.class, e -> Mono.just(true))
                        .timeout(props.mongoTimeout()))
                .defaultIfEmpty(false);
    }

    public Mono<Void> unban(String userId) {
        return mongo.remove(Query.query(Criteria.where("_id").is(userId)), Ban.class).timeout(props.mongoTimeout()).then();
    }

    /** Completes if the user is not banned; 403 otherwise. */
    public Mono<Void> requireNotBanned(String userId) {
        return mongo.exists(Query.query(Criteria.where("_id").is(userId)), Ban.class)
                .timeout(props.mongoTimeout())
                .flatMap(banned -> banned ? Mono.error(banned()) : Mono.empty());
    }

    private static ErrorResponseException banned() {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.FORBIDDEN, "This account is suspended.");
        problem.setTitle("Banned");
        problem.setProperty("code", "banned");
        problem.setProperty("retryable", false); // like every login error: the client branches on it
        return new ErrorResponseException(HttpStatus.FORBIDDEN, problem, null);
    }
}
