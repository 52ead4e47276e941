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
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Per-user presence in small rooms, one coalesced count in crowded ones, against a real Redis pub/sub: the per-user
 * frames come from the scripts' threshold rule (lib/announce.lua, here through a join's mark_online.lua), which marks
 * the crowded rooms in Redis in the same step ({@link RedisNames#CROWDED}); a flush, by any instance, pops them and
 * sends each one count.
 */
@Timeout(60)
class CrowdPresenceIntegrationTests {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private final String conv = "r:crowd" + UUID.randomUUID().toString().substring(0, 8);
    private final List<String> published = new CopyOnWriteArrayList<>();
    @RegisterExtension
    final TestRedis testRedis = new TestRedis();
    private final ReactiveStringRedisTemplate redis = testRedis.template();
    private final FrameCodec codec = new FrameCodec();
    private final ChatProperties props = withCrowdThreshold(3);
    private PresenceRepository presence;

    @BeforeEach
    void setUp() {
        testRedis.listen(RedisNames.convChannel(conv), published::add);
        presence = new PresenceRepository(redis, props);
    }

    @AfterEach
    void tearDown() {
        redis.opsForSet().remove(RedisNames.CROWDED, conv).block(WAIT);
        redis.delete(RedisNames.online(conv)).block(WAIT);
        for (int i = 1; i <= 51; i++) {
            redis.delete(RedisNames.connections(user(i))).block(WAIT);
        }
    }

    @Test
    void announcesEachUser_upToTheThreshold_thenOneCountPerFlush() {
        CrowdPresence crowd = instance();
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
        join(51);
        crowd.flush().block(WAIT);
        awaitPublished(5);
        assertThat(published.get(4)).isEqualTo("{\"type\":\"online\",\"conv\":\"" + conv + "\",\"online\":51}");
        assertThat(published).hasSize(5);
    }

    /**
     * The mark is made by the step, in Redis: the instance that made the change may die (or lose the step's answer)
     * and another one sends the count; two instances flushing at once send it once.
     */
    @Test
    void aMarkOutlivesTheInstanceThatMadeIt_andInstancesFlushingAtOnceSendItOnce() {
        for (int i = 1; i <= 4; i++) { // no CrowdPresence exists while the room becomes crowded
            join(i);
        }
        awaitPublished(3);

        CrowdPresence one = instance();
        CrowdPresence other = instance();
        Mono.when(one.flush(), other.flush()).block(WAIT);
        awaitPublished(4);
        assertThat(published.get(3)).isEqualTo("{\"type\":\"online\",\"conv\":\"" + conv + "\",\"online\":4}");
        Flux.interval(Duration.ofMillis(300)).next().block(WAIT); // a second count would have come by now
        assertThat(published).hasSize(4);
    }

    /** A backlog larger than one script call's batch is flushed in one run. */
    @Test
    void aBacklogOfMoreRoomsThanOneBatch_isFlushedInOneRun() {
        String[] rooms = IntStream.range(0, CrowdPresence.BATCH + 50).mapToObj(i -> conv + "-" + i).toArray(String[]::new);
        redis.opsForSet().add(RedisNames.CROWDED, rooms).block(WAIT);
        redis.opsForSet().add(RedisNames.CROWDED, conv).block(WAIT);

        instance().flush().block(WAIT);

        assertThat(redis.opsForSet().isMember(RedisNames.CROWDED, (Object[]) rooms).block(WAIT)).as("all popped")
                .doesNotContainValue(true).hasSize(rooms.length);
        awaitPublished(1);
        assertThat(published).containsExactly("{\"type\":\"online\",\"conv\":\"" + conv + "\",\"online\":0}");
    }

    /** A chat instance's flush. */
    private CrowdPresence instance() {
        return new CrowdPresence(new Deliveries(redis, codec, props), presence, props);
    }

    /** User {@code i}, connected, joins: told in mark_online.lua's step, or the room marked there when crowded. */
    private void join(int i) {
        UserRef user = new UserRef(user(i), null, null);
        redis.opsForHash().put(RedisNames.connections(user.id()), "c" + i, "gw-crowd").block(WAIT);
        PresenceRepository.MarkedOnline marked = presence.markOnline(conv, user.id(), true,
                PresenceFrames.joined(user, frame -> codec.encode(frame))).block(WAIT);
        assertThat(marked.online()).isEqualTo(i);
        assertThat(marked.announced()).as("announced with the user up to the threshold").isEqualTo(i <= 3);
        if (i > 3) {
            assertThat(redis.opsForSet().isMember(RedisNames.CROWDED, conv).block(WAIT)).as("marked above it").isTrue();
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
