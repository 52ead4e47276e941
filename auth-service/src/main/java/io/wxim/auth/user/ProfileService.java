package io.wxim.auth.user;

import io.wxim.protocol.UserRef;
import java.time.Clock;
import org.springframework.stereotype.Service;
import reactor.core.publisher.Mono;

/**
 * Profile changes by the user (the mini-program's chooseAvatar / nickname input flow). New access tokens carry the
 * new profile; chat-service picks it up at the next connect.
 */
@Service
public class ProfileService {
    private final UserRepository users;
    private final Clock clock;

    ProfileService(UserRepository users, Clock clock) {
        this.users = users;
        this.clock = clock;
    }

    /** Sets the given fields of an existing user; emits empty if there is no such user. */
    public Mono<UserRef> update(String userId, ProfileUpdate profile) {
        return users.findById(userId)
                .flatMap(existing -> users.upsertProfile(userId, profile, clock.instant()))
                .map(u -> new UserRef(u.id(), u.nickname(), u.avatarUrl()));
    }
}
