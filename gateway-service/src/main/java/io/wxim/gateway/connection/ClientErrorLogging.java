package io.wxim.gateway.connection;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.stereotype.Component;
import reactor.netty.http.server.HttpServer;

/**
 * Errors a client causes are not server errors. Reactor Netty would log each as an uncaught ERROR with a stack trace;
 * this handler, added to a connection's pipeline just before Reactor Netty's own last handler once its first request
 * is decoded, turns them into one line and keeps every other exception going:
 * <ul>
 *   <li>a frame Netty refuses (over the frame limit: 1009; invalid UTF-8: 1007; bad framing: 1002): Netty has already
 *   sent the close frame and closed the channel, then raises the exception once more, after the session is gone
 *   (WARN: a client sending such frames is misbehaving);</li>
 *   <li>an I/O error on the socket (connection reset by a phone that lost its network, a client that gave up during
 *   the handshake): the channel is closed, the session ends as on any close (DEBUG: it is routine).</li>
 * </ul>
 */
@Component
class ClientErrorLogging implements NettyServerCustomizer {
    private static final Logger log = LoggerFactory.getLogger(ClientErrorLogging.class);
    private static final String NAME = "wxim.clientErrorLogging";

    @Override
    public HttpServer apply(HttpServer server) {
        return server.doOnConnection(connection -> connection.addHandlerLast(NAME, new Handler()));
    }

    @ChannelHandler.Sharable
    static final class Handler extends ChannelInboundHandlerAdapter {
        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof CorruptedWebSocketFrameException corrupt) {
                log.warn("websocket frame refused, connection closed: remote={} closeStatus={} reason={}",
                        ctx.channel().remoteAddress(), corrupt.closeStatus().code(), corrupt.getMessage());
                return;
            }
            if (cause instanceof IOException) {
                log.debug("connection error, closing: remote={} error={}", ctx.channel().remoteAddress(), cause.toString());
                ctx.close();
                return;
            }
            ctx.fireExceptionCaught(cause);
        }
    }
}
