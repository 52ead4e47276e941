package io.wxim.gateway.connection;

import io.wxim.protocol.ErrorCode;
import io.wxim.protocol.ProtocolException;
import io.wxim.protocol.ServerFrame;
import java.util.concurrent.TimeoutException;
import org.springframework.dao.DataAccessException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The gateway's one place that turns failures into wire errors. Never puts exception details on the wire. */
final class ProtocolErrorMapper {
    private static final Logger log = LoggerFactory.getLogger(ProtocolErrorMapper.class);

    private ProtocolErrorMapper() {
    }

    static ServerFrame.Error toFrame(Throwable e, String rid, String cmid, String connId) {
        if (e instanceof ProtocolException pe) {
            return ServerFrame.Error.of(rid, cmid, pe.code(), pe.getMessage());
        }
        if (e instanceof DataAccessException || e instanceof io.lettuce.core.RedisException) {
            log.warn("redis unavailable: connId={} error={}", connId, e.toString());
            return ServerFrame.Error.of(rid, cmid, ErrorCode.UNAVAILABLE, "the server is temporarily unavailable, retry");
        }
        if (e instanceof TimeoutException) {
            log.warn("command timed out: connId={} clientMsgId={}", connId, cmid);
            return ServerFrame.Error.of(rid, cmid, ErrorCode.UNAVAILABLE, "the server did not answer in time, retry");
        }
        log.error("command failed: connId={} clientMsgId={} error={}", connId, cmid, e.toString(), e);
        return ServerFrame.Error.of(rid, cmid, ErrorCode.INTERNAL, "internal error");
    }
}
