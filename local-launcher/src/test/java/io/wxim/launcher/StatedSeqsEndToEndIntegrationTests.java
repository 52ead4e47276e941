package io.wxim.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.protocol.RedisNames;
import io.wxim.protocol.ServerFrame;
import io.wxim.testinfra.TestInfra;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;

/**
 * ADR-27 through the whole system: a room message records its seq as the room's latest published one, and a welcome
 * or joined whose read of the last seqs is older than what was published states the published seq (so the client
 * syncs a message that went out before its gateway applied the subscription). The race itself cannot be timed from
 * here; the published seq is set ahead of the store to stand for a message published in that window.
 */
class StatedSeqsEndToEndIntegrationTests extends EndToEndTestBase {
    private final LettuceConnectionFactory factory = TestInfra.redisConnectionFactory();

    @AfterEach
    void closeRedis() {
        factory.destroy();
    }

    @Test
    void aWelcomeAndAJoinedStateTheRoomsLatestPublishedSeq() throws Exception {
        StringRedisTemplate redis = new StringRedisTemplate(factory);
        Login alice = login("alice");
        Login bob = login("bob");
        String room;
        try (WsClient a = WsClient.connect(http, gw1, alice.token())) {
            a.await(ServerFrame.Welcome.class);
            a.send("{\"type\":\"create\",\"rid\":\"c1\",\"name\":\"Window\"}");
            room = a.await(ServerFrame.Joined.class, f -> "c1".equals(f.rid())).conv();
            a.send(send("m1", room, "one"));
            assertThat(a.await(ServerFrame.Ack.class, f -> "m1".equals(f.cmid())).seq()).isEqualTo(1);
        }
        assertThat(redis.opsForValue().get(RedisNames.publishedSeq(room))).isEqualTo("1"); // recorded by the send
        assertThat(redis.getExpire(RedisNames.publishedSeq(room))).isPositive();

        redis.opsForValue().set(RedisNames.publishedSeq(room), "3", Duration.ofMinutes(1)); // seqs 2-3 "went out"
        try (WsClient a = WsClient.connect(http, gw2, alice.token());
             WsClient b = WsClient.connect(http, gw1, bob.token())) {
            assertThat(a.await(ServerFrame.Welcome.class).conversations())
                    .filteredOn(c -> c.conv().equals(room)).singleElement()
                    .satisfies(c -> assertThat(c.lastSeq()).isEqualTo(3));
            b.await(ServerFrame.Welcome.class);
            b.send("{\"type\":\"join\",\"rid\":\"j1\",\"conv\":\"" + room + "\"}");
            assertThat(b.await(ServerFrame.Joined.class, f -> "j1".equals(f.rid())).lastSeq()).isEqualTo(3);
        } finally {
            redis.delete(RedisNames.publishedSeq(room));
        }
    }
}
