package io.wxim.gateway.connection;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.stereotype.Component;
import reactor.netty.http.server.HttpServer;

/**
 * A frame Netty refuses (over the frame limit: 1009; invalid UTF-8: 1007; bad framing: 1002) is a client error: Netty
 * has already sent the close frame and closed the channel, then raises the exception once more, after the session is
 * gone, where Reactor Netty would log it as an uncaught ERROR with a stack trace. This handler, last in every
 * connection's pipeline, turns that into one WARN line and keeps every other exception going.
 */
@Component
class CorruptFrameLogging implements NettyServerCustomizer {
    private static final Logger log = LoggerFactory.getLogger(CorruptFrameLogging.class);
    private static final String NAME = "wxim.corruptFrameLogging";

    @Override
    public HttpServer apply(HttpServer server) {
        return server.doOnConnection(connection -> connection.addHandlerLast(NAME, new Handler()));
    }

    @ChannelHandler.Sharable
    private static final class Handler extends ChannelInboundHandlerAdapter {
        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof CorruptedWebSocketFrameException corrupt) {
                log.warn("websocket frame refused, connection closed: remote={} closeStatus={} reason={}",
                        ctx.channel().remoteAddress(), corrupt.closeStatus().code(), corrupt.getMessage());
                return;
            }
            ctx.fireExceptionCaught(cause);
        }
    }
}
