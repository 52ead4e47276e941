package io.wxim.gateway.command;

import io.wxim.gateway.config.GatewayProperties;
import io.wxim.protocol.Command;
import io.wxim.protocol.FrameCodec;
import io.wxim.protocol.RedisNames;
import java.util.Map;
import org.springframework.data.redis.connection.RedisStreamCommands.XAddOptions;
import org.springframework.data.redis.connection.stream.MapRecord;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

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

    public Mono<Void> publish(Command command) {
        MapRecord<String, String, String> record = MapRecord.create(RedisNames.COMMAND_STREAM,
                Map.of(RedisNames.COMMAND_FIELD, codec.write(command)));
        return redis.opsForStream().add(record, options).timeout(props.redisTimeout()).then();
    }
}
