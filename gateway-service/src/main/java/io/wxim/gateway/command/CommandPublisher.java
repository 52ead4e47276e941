package io.wxim.gateway.command;

import io.wxim.gateway.config.GatewayProperties;
import io.wxim.protocol.Command;
import io.wxim.protocol.FrameCodec;
import io.wxim.protocol.RedisNames;
import java.time.Duration;
import java.util.Map;
import org.springframework.data.redis.connection.RedisStreamCommands.XAddOptions;
import org.springframework.data.redis.connection.stream.MapRecord;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

/**
 * Hands commands to chat-service by appending them to the command stream (consumer group: load-balanced across
 * chat-service instances, survives their restarts; at-least-once). Trimmed approximately to {@code streamMaxLen}.
 */
@Component
public class CommandPublisher {
    private final ReactiveStringRedisTemplate redis;
    private final FrameCodec codec;
    private final GatewayProperties props;
    private final XAddOptions options;

    public CommandPublisher(ReactiveStringRedisTemplate redis, FrameCodec codec, GatewayProperties props) {
        this.redis = redis;
        this.codec = codec;
        this.props = props;
        this.options = XAddOptions.maxlen(props.streamMaxLen()).approximateTrimming(true);
    }

    /** How often a DISCONNECT is appended again after a failed append, and the first wait (doubling, at most 8 s). */
    static final int DISCONNECT_RETRIES = 4;
    static final Duration DISCONNECT_FIRST_BACKOFF = Duration.ofMillis(500);

    /**
     * Appends a DISCONNECT, again after a failure ({@link #DISCONNECT_RETRIES} times, over about 7 s): one that is lost
     * leaves its user online in chat-service for good while this gateway lives (only a dead gateway's connections are
     * swept). A command, not a client frame: appending it twice is harmless (chat-service's disconnect is idempotent).
     */
    public Mono<Void> publishDisconnect(Command command) {
        return publish(command).retryWhen(Retry.backoff(DISCONNECT_RETRIES, DISCONNECT_FIRST_BACKOFF)
                .maxBackoff(Duration.ofSeconds(8)));
    }

    public Mono<Void> publish(Command command) {
        MapRecord<String, String, String> record = MapRecord.create(RedisNames.COMMAND_STREAM,
                Map.of(RedisNames.COMMAND_FIELD, codec.write(command)));
        return redis.opsForStream().add(record, options).timeout(props.redisTimeout()).then();
    }
}
