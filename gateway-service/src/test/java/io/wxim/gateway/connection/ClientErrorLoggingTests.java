package io.wxim.gateway.connection;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClientErrorLoggingTests {
    private final List<Throwable> passedOn = new ArrayList<>();
    private final EmbeddedChannel channel = new EmbeddedChannel(new ClientErrorLogging.Handler(),
            new ChannelInboundHandlerAdapter() {
                @Override
                public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                    passedOn.add(cause);
                }
            });

    @Test
    void closesQuietly_whenTheClientResetsTheConnection() {
        channel.pipeline().fireExceptionCaught(new IOException("recvAddress(..) failed: Connection reset by peer"));

        assertThat(passedOn).isEmpty();
        assertThat(channel.isActive()).isFalse();
    }

    @Test
    void passesServerErrorsOn() {
        IllegalStateException bug = new IllegalStateException("a bug");
        channel.pipeline().fireExceptionCaught(bug);

        assertThat(passedOn).containsExactly(bug);
        assertThat(channel.isActive()).isTrue();
    }
}
