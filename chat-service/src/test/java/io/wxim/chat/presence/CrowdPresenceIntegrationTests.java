package io.wxim.chat.presence;

import static io.wxim.chat.config.TestChatProperties.withCrowdThreshold;
import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.chat.TestRedis;
import io.wxim.chat.config.ChatProperties;
import io.wxim.chat.routing.Deliveries;
import io.wxim.protocol.FrameCodec;
import io.wxim.protocol.RedisNames;
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

/**
 * Per-user presence in small rooms, one coalesced count in crowded ones, against a real Redis pub/sub: the per-user
 * frames come from the scripts' threshold rule (lib/announce.lua, here through a join's mark_online.lua), the crowded
 * rooms they return are marked, and the flush sends one count for them.
 */
class CrowdPresenceIntegrationTests {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private final String conv = "r:crowd" + UUID.randomUUID().toString().substring(0, 8);
    private final List<String> published = new CopyOnWriteArrayList<>();
    @RegisterExtension
    final TestRedis testRedis = new TestRedis();
    private final ReactiveStringRedisTemplate redis = testRedis.template();
    private final FrameCodec codec = new FrameCodec();
    private PresenceRepository presence;
    private CrowdPresence crowd;

    @BeforeEach
    void setUp() {
        testRedis.listen(RedisNames.convChannel(conv), published::add);
        ChatProperties props = withCrowdThreshold(3);
        presence = new PresenceRepository(redis, props);
        crowd = new CrowdPresence(new Deliveries(redis, codec, props), presence, props);
    }

    @AfterEach
    void tearDown() {
        redis.delete(RedisNames.online(conv)).block(WAIT);
        for (int i = 1; i <= 50; i++) {
            redis.delete(RedisNames.connections(user(i))).block(WAIT);
        }
    }

    @Test
    void announcesEachUser_upToTheThreshold_thenOneCountPerFlush() {
        for (int i = 1; i <= 3; i++) {
            join(i);
        }
        awaitPublished(3);
        assertThat(published).allMatch(f -> f.contains("\"type\":\"memberJoined\""));

        for (int i = 4; i <= 50; i++) { // a burst above the threshold: nothing per user
            join(i);
        }
        crowd.flush().block(WAIT);
        awaitPublished(4);
        assertThat(published.get(3)).isEqualTo("{\"type\":\"online\",\"conv\":\"" + conv + "\",\"online\":50}");

        crowd.flush().block(WAIT); // nothing changed: nothing sent
        redis.opsForSet().remove(RedisNames.online(conv), user(50)).block(WAIT);
        crowd.mark(conv); // as a leave's step answers for a crowded room
        crowd.flush().block(WAIT);
        awaitPublished(5);
        assertThat(published.get(4)).contains("\"type\":\"online\"").contains("\"online\":49");
        assertThat(published).hasSize(5);
    }

    /** User {@code i}, connected, joins: told in mark_online.lua's step, or the room marked when crowded. */
    private void join(int i) {
        UserRef user = new UserRef(user(i), null, null);
        redis.opsForHash().put(RedisNames.connections(user.id()), "c" + i, "gw-crowd").block(WAIT);
        PresenceRepository.MarkedOnline marked = presence.markOnline(conv, user.id(), true,
                PresenceFrames.joined(user, frame -> codec.encode(frame))).block(WAIT);
        assertThat(marked.online()).isEqualTo(i);
        if (marked.crowded()) {
            crowd.mark(conv);
        }
    }

    private String user(int i) {
        return "u" + i + conv;
    }

    private void awaitPublished(int count) {
        Flux.interval(Duration.ofMillis(10)).takeUntil(t -> published.size() >= count).blockLast(WAIT);
        assertThat(published).hasSizeGreaterThanOrEqualTo(count);
    }
}
