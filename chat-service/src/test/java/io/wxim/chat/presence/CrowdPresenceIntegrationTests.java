package io.wxim.chat.presence;

import static io.wxim.chat.config.TestChatProperties.withCrowdThreshold;
import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.chat.TestRedis;
import io.wxim.chat.config.ChatProperties;
import io.wxim.chat.routing.Deliveries;
import io.wxim.protocol.FrameCodec;
import io.wxim.protocol.RedisNames;
import io.wxim.protocol.ServerFrame;
import io.wxim.protocol.UserRef;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import reactor.core.publisher.Flux;

/** Per-user presence in small rooms, one coalesced count in crowded ones, against a real Redis pub/sub. */
class CrowdPresenceIntegrationTests {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private final String conv = "r:crowd" + UUID.randomUUID().toString().substring(0, 8);
    private final List<String> published = new CopyOnWriteArrayList<>();
    @RegisterExtension
    final TestRedis testRedis = new TestRedis();
    private final ReactiveStringRedisTemplate redis = testRedis.template();
    private CrowdPresence crowd;

    @BeforeEach
    void setUp() {
        testRedis.listen(RedisNames.convChannel(conv), published::add);
        ChatProperties props = withCrowdThreshold(3);
        PresenceRepository presence = new PresenceRepository(redis, props);
        crowd = new CrowdPresence(new Deliveries(redis, new FrameCodec(), props), presence, props);
    }

    @AfterEach
    void tearDown() {
        redis.delete(RedisNames.online(conv)).block(WAIT);
    }

    @Test
    void announcesEachUser_upToTheThreshold_thenOneCountPerFlush() {
        for (int i = 1; i <= 3; i++) {
            online("u" + i);
            crowd.announce(conv, i, joined("u" + i, i)).block(WAIT);
        }
        awaitPublished(3);
        assertThat(published).allMatch(f -> f.contains("\"type\":\"memberJoined\""));

        for (int i = 4; i <= 50; i++) { // a burst above the threshold: nothing per user
            online("u" + i);
            crowd.announce(conv, i, joined("u" + i, i)).block(WAIT);
        }
        crowd.flush().block(WAIT);
        awaitPublished(4);
        assertThat(published.get(3)).isEqualTo("{\"type\":\"online\",\"conv\":\"" + conv + "\",\"online\":50}");

        crowd.flush().block(WAIT); // nothing changed: nothing sent
        redis.opsForSet().remove(RedisNames.online(conv), "u50").block(WAIT);
        crowd.announce(conv, 49, new ServerFrame.MemberLeft(conv, new UserRef("u50", null, null), 49)).block(WAIT);
        crowd.flush().block(WAIT);
        awaitPublished(5);
        assertThat(published.get(4)).contains("\"type\":\"online\"").contains("\"online\":49");
        assertThat(published).hasSize(5);
    }

    private void online(String user) {
        redis.opsForSet().add(RedisNames.online(conv), user).block(WAIT);
    }

    private ServerFrame joined(String user, long online) {
        return new ServerFrame.MemberJoined(conv, new UserRef(user, null, null), online);
    }

    private void awaitPublished(int count) {
        Flux.interval(Duration.ofMillis(10)).takeUntil(t -> published.size() >= count).blockLast(WAIT);
        assertThat(published).hasSizeGreaterThanOrEqualTo(count);
    }
}
