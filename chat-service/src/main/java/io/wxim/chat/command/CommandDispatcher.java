package io.wxim.chat.command;

import io.wxim.chat.config.ChatProperties;
import io.wxim.chat.direct.DirectCommands;
import io.wxim.chat.pair.PairCommands;
import io.wxim.chat.read.ReadCommands;
import io.wxim.chat.message.MessageService;
import io.wxim.chat.room.MembershipLocks;
import io.wxim.chat.room.RoomCommands;
import io.wxim.chat.routing.Deliveries;
import io.wxim.chat.session.SessionService;
import io.wxim.protocol.ClientFrame;
import io.wxim.protocol.Command;
import io.wxim.protocol.ErrorCode;
import io.wxim.protocol.NodeMessage;
import io.wxim.protocol.ProtocolException;
import io.wxim.protocol.ServerFrame;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Runs one command and sends the reply that completes it to the gateway node holding the connection. This is the
 * one place where chat-service turns failures into wire errors: protocol errors keep their code, timeouts become
 * {@code unavailable}, anything else {@code internal} (logged with stable keys, never with message bodies).
 */
@Component
public class CommandDispatcher implements CommandHandler {
    private static final Logger log = LoggerFactory.getLogger(CommandDispatcher.class);

    private final SessionService sessions;
    private final RoomCommands rooms;
    private final MessageService messages;
    private final PairCommands pairs;
    private final ReadCommands reads;
    private final DirectCommands directs;
    private final Deliveries deliveries;
    private final MembershipLocks locks;
    private final Duration deadline;

    public CommandDispatcher(SessionService sessions, RoomCommands rooms, MessageService messages, PairCommands pairs,
                             ReadCommands reads, DirectCommands directs, Deliveries deliveries, MembershipLocks locks,
                             ChatProperties props) {
        this.deadline = props.commandDeadline();
        this.locks = locks;
        this.sessions = sessions;
        this.rooms = rooms;
        this.messages = messages;
        this.pairs = pairs;
        this.reads = reads;
        this.directs = directs;
        this.deliveries = deliveries;
    }

    /**
     * Completes when the command's effects and reply are published; fails only if the reply could not be sent. A
     * {@code DISCONNECT} runs whatever its budget (it only cleans up, and must).
     */
    @Override
    public Mono<Void> dispatch(Command cmd, Duration budget) {
        return switch (cmd.event()) {
            case DISCONNECT -> sessions.disconnect(cmd);
            case CONNECT -> replyTo(cmd, sessions.connect(cmd), budget, null, null);
            case FRAME -> {
                String room = membershipOf(cmd.frame());
                yield room == null ? replyTo(cmd, handle(cmd, cmd.frame()), budget, cmd.frame().rid(), cmidOf(cmd.frame()))
                        : exclusive(cmd, room, budget);
            }
        };
    }

    /**
     * A join or leave holds the user's lock of the room from before its MongoDB write until its reply was sent
     * (ADR-35): the same user's join or leave of the room on another device waits, so the two change MongoDB and Redis
     * in the same order. Released after the reply, on the same Redis connection, so Redis runs the release after
     * everything this command sent it, and only if the work ended by itself (done, or refused with a protocol error
     * once its writes were answered): work cut off (a timeout, its budget, an unexpected failure) may still have a
     * write on its way, so its lock lapses at the command's deadline instead, as it does if the reply was not sent.
     */
    private Mono<Void> exclusive(Command cmd, String conv, Duration budget) {
        String user = cmd.user().id();
        String token = cmd.conn() + ":" + cmd.ref() + ":" + Long.toHexString(ThreadLocalRandom.current().nextLong());
        AtomicBoolean ended = new AtomicBoolean();
        Mono<NodeMessage> work = locks.acquire(user, conv, token).then(Mono.defer(() -> handle(cmd, cmd.frame())))
                .doOnSuccess(done -> ended.set(true))
                .doOnError(e -> ended.set(e instanceof ProtocolException));
        Mono<Void> release = Mono.defer(() -> ended.get() ? locks.release(user, conv, token) : Mono.<Void>empty())
                .onErrorResume(e -> {
                    log.warn("membership lock not released, it lapses at the command's deadline: userId={} conv={} error={}",
                            user, conv, e.toString());
                    return Mono.empty();
                });
        return replyTo(cmd, work, budget, cmd.frame().rid(), null).then(release);
    }

    /** The room whose membership {@code frame} changes (a join or a leave), else null. */
    private static String membershipOf(ClientFrame frame) {
        if (frame instanceof ClientFrame.Join join) {
            return join.conv();
        }
        return frame instanceof ClientFrame.Leave leave ? leave.conv() : null;
    }

    /** Java 17 has no pattern switch; an unknown frame type cannot reach here (the codec rejects it). */
    private Mono<NodeMessage> handle(Command cmd, ClientFrame frame) {
        if (frame instanceof ClientFrame.Send send) {
            return messages.send(cmd.user(), send).map(ack -> reply(cmd, List.of(ack)));
        } else if (frame instanceof ClientFrame.Sync sync) {
            return messages.sync(cmd.user(), sync).map(frames -> reply(cmd, frames));
        } else if (frame instanceof ClientFrame.ListRooms list) {
            return rooms.list(cmd, list);
        } else if (frame instanceof ClientFrame.CreateRoom create) {
            return rooms.create(cmd, create);
        } else if (frame instanceof ClientFrame.Join join) {
            return rooms.join(cmd, join);
        } else if (frame instanceof ClientFrame.Leave leave) {
            return rooms.leave(cmd, leave);
        } else if (frame instanceof ClientFrame.ListMembers members) {
            return rooms.members(cmd, members);
        } else if (frame instanceof ClientFrame.Read read) {
            return reads.read(cmd, read);
        } else if (frame instanceof ClientFrame.Typing typing) {
            return directs.typing(cmd, typing);
        } else if (frame instanceof ClientFrame.Recall recall) {
            return messages.recall(cmd.user(), recall).map(frame2 -> reply(cmd, List.of(frame2)));
        } else if (frame instanceof ClientFrame.Status status) {
            return directs.status(cmd, status);
        } else if (frame instanceof ClientFrame.PairRequest request) {
            return pairs.request(cmd, request);
        } else if (frame instanceof ClientFrame.PairCancel cancel) {
            return pairs.cancel(cmd, cancel);
        } else if (frame instanceof ClientFrame.PairPending pending) {
            return pairs.pending(cmd, pending);
        } else if (frame instanceof ClientFrame.PairAccept accept) {
            return pairs.accept(cmd, accept);
        } else if (frame instanceof ClientFrame.PairDecline decline) {
            return pairs.decline(cmd, decline);
        } else if (frame instanceof ClientFrame.PairLeave leave) {
            return pairs.leave(cmd, leave);
        } else if (frame instanceof ClientFrame.Ping ping) {
            return Mono.just(reply(cmd, List.of(new ServerFrame.Pong(ping.rid(), System.currentTimeMillis()))));
        }
        return Mono.error(new ProtocolException(ErrorCode.UNKNOWN_TYPE, "unknown type"));
    }

    /**
     * Bounds the command by what is left of {@code commandDeadline} since its gateway added it to the stream (the
     * deadline is below the gateway's wait, so this instance has given up on the command before the gateway moves on
     * to the connection's next one, even when commands queue in the stream) and sends the reply. A reply of several frames (sync)
     * goes as one message per frame, so no single pub/sub message grows with the number of conversations. The stall
     * watchdog counts from the start of the run: it looks for a wait inside a command, not for queueing.
     */
    private Mono<Void> replyTo(Command cmd, Mono<NodeMessage> work, Duration budget, String rid, String cmid) {
        return Mono.using(() -> Mono.delay(deadline.dividedBy(2)).subscribe(t -> StallDiagnostics.dumpOnce(log,
                                "userId=" + cmd.user().id() + " connId=" + cmd.conn() + " event=" + cmd.event()
                                        + (cmd.frame() == null ? "" : " type=" + cmd.frame().getClass().getSimpleName()))),
                        watchdog -> work.timeout(budget), reactor.core.Disposable::dispose)
                .onErrorResume(e -> Mono.just(reply(cmd, List.of(toError(cmd, e, rid, cmid)))))
                .switchIfEmpty(Mono.fromSupplier(() -> reply(cmd, List.of(
                        ServerFrame.Error.of(rid, cmid, ErrorCode.INTERNAL, "no result")))))
                .flatMap(message -> send(cmd, message));
    }

    private Mono<Void> send(Command cmd, NodeMessage message) {
        if (message.kind() != NodeMessage.Kind.REPLY || message.frames().size() <= 1) {
            return deliveries.toNode(cmd.node(), message);
        }
        List<String> frames = message.frames();
        return Flux.range(0, frames.size())
                .concatMap(i -> deliveries.toNode(cmd.node(), NodeMessage.reply(cmd.user().id(), cmd.conn(),
                        i == frames.size() - 1 ? message.ref() : 0, List.of(frames.get(i)))))
                .then();
    }

    private NodeMessage reply(Command cmd, List<? extends ServerFrame> frames) {
        return deliveries.reply(cmd, frames);
    }

    private static ServerFrame.Error toError(Command cmd, Throwable e, String rid, String cmid) {
        if (e instanceof ProtocolException pe) {
            return ServerFrame.Error.of(rid, cmid, pe.code(), pe.getMessage());
        }
        if (e instanceof TimeoutException) {
            log.warn("command timed out: userId={} connId={} node={} event={}", cmd.user().id(), cmd.conn(), cmd.node(), cmd.event());
            return ServerFrame.Error.of(rid, cmid, ErrorCode.UNAVAILABLE, "a backend did not answer in time, retry");
        }
        log.error("command failed: userId={} connId={} node={} event={} error={}", cmd.user().id(), cmd.conn(),
                cmd.node(), cmd.event(), e.toString(), e);
        return ServerFrame.Error.of(rid, cmid, ErrorCode.INTERNAL, "internal error");
    }

    private static String cmidOf(ClientFrame frame) {
        return frame instanceof ClientFrame.Send send ? send.cmid() : null;
    }
}
