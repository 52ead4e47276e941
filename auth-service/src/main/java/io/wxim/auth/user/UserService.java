package io.wxim.auth.user;

import io.wxim.protocol.UserRef;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.stereotype.Service;
import reactor.core.publisher.Mono;

/** Users and the login keys that lead to them. Every login method goes through {@link #findOrCreate}. */
@Service
public class UserService {
    private static final Logger log = LoggerFactory.getLogger(UserService.class);

    private final UserRepository users;
    private final UserIdGenerator ids;
    private final Clock clock;

    UserService(UserRepository users, UserIdGenerator ids, Clock clock) {
        this.users = users;
        this.ids = ids;
        this.clock = clock;
    }

    /**
     * The user linked to {@code key} for this login method, created on first use; the profile fields given are
     * stored. Race safe: two concurrent first logins with the same key end on the same user, because the link is
     * inserted under a unique {@code _id} and the loser reads the winner's link.
     */
    public Mono<UserRef> findOrCreate(LoginMethod method, String key, ProfileUpdate profile) {
        return users.findLink(method, key)
                .switchIfEmpty(Mono.defer(() -> link(method, key)))
                .flatMap(link -> users.upsertProfile(link.userId(), profile, clock.instant()))
                .map(UserService::toRef);
    }

    /** The id of the user that {@code key} is linked to for this login method, or empty. */
    public Mono<String> findUserId(LoginMethod method, String key) {
        return users.findLink(method, key).map(LoginLink::userId);
    }

    /**
     * Links {@code key} to {@code userId} unless it is linked already. Answers the user id the key is linked to
     * afterwards: {@code userId}, or the other user it was (or concurrently became) linked to; an existing link is
     * never moved.
     */
    public Mono<String> linkIfAbsent(LoginMethod method, String key, String userId) {
        return users.insertLink(method, new LoginLink(key, userId))
                .map(LoginLink::userId)
                .doOnNext(id -> log.info("login linked: userId={} method={}", id, method))
                .onErrorResume(DuplicateKeyException.class, e -> users.findLink(method, key).map(LoginLink::userId))
                .switchIfEmpty(Mono.error(new IllegalStateException("login link vanished after a duplicate key")));
    }

    /** Stores the non-null profile fields on the user (created if absent) and answers the new state. */
    public Mono<UserRef> updateProfile(String userId, ProfileUpdate profile) {
        return users.upsertProfile(userId, profile, clock.instant()).map(UserService::toRef);
    }

    /** The user with this id, or empty. */
    public Mono<UserRef> findById(String userId) {
        return users.findById(userId).map(UserService::toRef);
    }

    private Mono<LoginLink> link(LoginMethod method, String key) {
        LoginLink candidate = new LoginLink(key, ids.next());
        return users.insertLink(method, candidate)
                .doOnNext(link -> log.info("user registered: userId={} method={}", link.userId(), method))
                .onErrorResume(DuplicateKeyException.class, e -> {
                    log.debug("login link created concurrently, reading it: method={}", method);
                    return users.findLink(method, key);
                })
                .switchIfEmpty(Mono.error(new IllegalStateException("login link vanished after a duplicate key")));
    }

    private static UserRef toRef(UserDocument user) {
        return new UserRef(user.id(), user.nickname(), user.avatarUrl());
    }
}
