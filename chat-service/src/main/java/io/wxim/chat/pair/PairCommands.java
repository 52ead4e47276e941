package io.wxim.chat.pair;

import io.wxim.chat.config.ChatProperties;
import io.wxim.chat.direct.DirectService;
import io.wxim.chat.profile.ProfileService;
import io.wxim.chat.routing.Deliveries;
import io.wxim.chat.routing.Deliveries.UserFrames;
import io.wxim.protocol.ClientFrame;
import io.wxim.protocol.Command;
import io.wxim.protocol.Conversations;
import io.wxim.protocol.ErrorCode;
import io.wxim.protocol.NodeMessage;
import io.wxim.protocol.ProtocolException;
import io.wxim.protocol.ServerFrame;
import io.wxim.protocol.UserRef;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.springframework.stereotype.Service;
import reactor.core.publisher.Mono;

/**
 * The 1v1 pairing flow of the original mini-programs: request -> wait -> accept (or decline / cancel / expire) ->
 * chat in a pair conversation ({@code p:<id>}) -> leave (or the peer is lost). State transitions are atomic in
 * {@link PairRepository}; this class validates, records the durable part (the session's two members in MongoDB, so
 * its history stays readable) and tells every device of both users.
 */
@Service
public class PairCommands {
    private static final char[] ID_CHARS = "abcdefghijkmnpqrstuvwxyz23456789".toCharArray();

    private final PairRepository pairs;
    private final ProfileService profiles;
    private final DirectService directs;
    private final Deliveries deliveries;
    private final ChatProperties.Pair props;
    private final Clock clock;
    private final BusyNews busy;
    private final SecureRandom random = new SecureRandom();

    public PairCommands(PairRepository pairs, ProfileService profiles, DirectService directs,
                        Deliveries deliveries, ChatProperties props, Clock clock) {
        this.pairs = pairs;
        this.profiles = profiles;
        this.directs = directs;
        this.deliveries = deliveries;
        this.props = props.pair();
        this.clock = clock;
        this.busy = BusyNews.of(deliveries);
    }

    public Mono<NodeMessage> request(Command cmd, ClientFrame.PairRequest frame) {
        UserRef me = cmd.user();
        if (me.id().equals(frame.to())) {
            return Mono.error(new ProtocolException(ErrorCode.BAD_REQUEST, "cannot pair with yourself"));
        }
        long now = clock.millis();
        return profiles.require(frame.to()).flatMap(target -> pairs.request(me.id(), target.id(),
                        now + props.requestTtl().toMillis(), newConv(), props.maxOutgoing(), props.maxIncoming(), now)
                .flatMap(result -> switch (result.status()) {
                    case "created", "pending" -> deliveries.toEach(List.of(
                                    new UserFrames(target.id(), new ServerFrame.PairRequested(me, result.expiresAt())),
                                    new UserFrames(me.id(), cmd.conn(), new ServerFrame.PairRequestSent(null, target, result.expiresAt()))))
                            .thenReturn(deliveries.reply(cmd, new ServerFrame.PairRequestSent(frame.rid(), target, result.expiresAt())));
                    case "busy_self" -> Mono.<NodeMessage>error(conflict("you are in a pair session; leave it first"));
                    case "busy_peer" -> Mono.<NodeMessage>error(conflict("the user is in a pair session"));
                    case "too_many_out" -> Mono.<NodeMessage>error(new ProtocolException(ErrorCode.TOO_LARGE,
                            "at most " + props.maxOutgoing() + " pending requests"));
                    default -> Mono.<NodeMessage>error(new ProtocolException(ErrorCode.TOO_LARGE, "the user has too many pending requests"));
                }));
    }

    public Mono<NodeMessage> cancel(Command cmd, ClientFrame.PairCancel frame) {
        String me = cmd.user().id();
        return closeRequest(cmd, frame.rid(), me, frame.to(), "cancelled", frame.to());
    }

    public Mono<NodeMessage> decline(Command cmd, ClientFrame.PairDecline frame) {
        String me = cmd.user().id();
        return closeRequest(cmd, frame.rid(), frame.from(), me, "declined", frame.from());
    }

    /**
     * Removes {@code from -> to}; the other side ({@code other}) and the actor's other devices are told in the removal's
     * own step: a failure after it cannot lose that, as a retry finds no request, answers not_found and tells no one.
     */
    private Mono<NodeMessage> closeRequest(Command cmd, String rid, String from, String to, String reason, String other) {
        ServerFrame.PairRequestClosed event = new ServerFrame.PairRequestClosed(null, from, to, reason);
        return pairs.remove(from, to, deliveries.inScript(List.of(new UserFrames(other, event),
                        new UserFrames(cmd.user().id(), cmd.conn(), event))))
                .flatMap(removed -> removed
                        ? Mono.fromSupplier(() -> deliveries.reply(cmd, new ServerFrame.PairRequestClosed(rid, from, to, reason)))
                        : Mono.error(new ProtocolException(ErrorCode.NOT_FOUND, "no such pair request")));
    }

    public Mono<NodeMessage> pending(Command cmd, ClientFrame.PairPending frame) {
        return pairs.incoming(cmd.user().id(), clock.millis()).collectList()
                .flatMap(incoming -> profiles.findAll(incoming.stream().map(PairRepository.Incoming::from).toList())
                        .map(found -> incoming.stream()
                                .map(in -> new ServerFrame.PendingRequest(
                                        ProfileService.known(found, in.from()), in.expiresAt()))
                                .toList()))
                .map(requests -> deliveries.reply(cmd, new ServerFrame.PairRequests(frame.rid(), requests)));
    }

    /**
     * Both sides of every other request the accept closes are told {@code busy} in its own step: a failure after it
     * cannot lose that, as a retried accept answers already and closes nothing.
     */
    public Mono<NodeMessage> accept(Command cmd, ClientFrame.PairAccept frame) {
        UserRef me = cmd.user();
        long now = clock.millis();
        return pairs.accept(me.id(), frame.from(), now, now + props.grace().toMillis(), busy).flatMap(result -> switch (result.status()) {
            case "started", "already" -> started(cmd, frame, result, now);
            case "busy_self" -> Mono.<NodeMessage>error(conflict("you are in a pair session; leave it first"));
            case "busy_peer" -> Mono.<NodeMessage>error(conflict("the user is in another pair session"));
            default -> Mono.<NodeMessage>error(new ProtocolException(ErrorCode.NOT_FOUND, "no such pair request (it may have expired)"));
        });
    }

    /**
     * Records both members durably, then tells both users that the session started in the step that takes it off the
     * sweep's list, only while the session lasts ({@link PairRepository#announceRecorded}; a retried accept tells them
     * again; the other requests the accept closed were told in its step). If the accept fails before that step and is
     * not retried, {@link UnrecordedPairSweeper} records and tells it. A session that ended meanwhile (a leave right
     * after the start, its peer told pairEnded) is not announced as started after that: the answer is not_found.
     */
    private Mono<NodeMessage> started(Command cmd, ClientFrame.PairAccept frame, PairRepository.AcceptResult result, long now) {
        UserRef me = cmd.user();
        String conv = result.conv();
        return directs.recordMembers(conv, frame.from(), me.id(), now)
                .then(profiles.findAll(List.of(frame.from(), me.id())))
                .flatMap(found -> {
                    UserRef requester = ProfileService.known(found, frame.from());
                    return pairs.announceRecorded(conv, frame.from(), me.id(),
                                    deliveries.inScript(StartNews.of(conv, requester, me, cmd.conn())))
                            .flatMap(told -> told ? Mono.just(deliveries.reply(cmd, new ServerFrame.PairStarted(frame.rid(), conv, requester)))
                                    : Mono.error(new ProtocolException(ErrorCode.NOT_FOUND, "the pair session already ended")));
                });
    }

    public Mono<NodeMessage> leave(Command cmd, ClientFrame.PairLeave frame) {
        String me = cmd.user().id();
        String conv = frame.conv();
        if (!Conversations.isPair(conv)) {
            return Mono.error(new ProtocolException(ErrorCode.NOT_FOUND, "you are not in this pair session"));
        }
        long now = clock.millis();
        // the peer and the leaver's other connections are told in the leave's own step (the peer read from the session
        // first): a failure after it cannot lose that, as a retried leave answers not_found and tells no one
        return pairs.session(conv)
                .map(users -> PairRepository.peerOf(users, me))
                .defaultIfEmpty("")
                .flatMap(peerRead -> pairs.leave(me, conv, now, peerRead, deliveries.inScript(told(cmd, conv, peerRead)))
                        .map(peer -> new Ended(peer, peer.equals(peerRead))))
                .switchIfEmpty(Mono.error(() -> new ProtocolException(ErrorCode.NOT_FOUND, "you are not in this pair session")))
                .flatMap(ended -> (ended.told() ? Mono.<Void>empty() : deliveries.toEach(told(cmd, conv, ended.peer())))
                        .then(Mono.fromSupplier(() -> deliveries.reply(cmd, new ServerFrame.PairEnded(frame.rid(), conv, ended.peer(), "left")))));
    }

    /** What a leave that ended {@code conv} tells: the peer (if any), then the leaver's other connections. */
    private static List<UserFrames> told(Command cmd, String conv, String peer) {
        String me = cmd.user().id();
        List<UserFrames> events = new ArrayList<>(2);
        if (!peer.isEmpty()) {
            events.add(new UserFrames(peer, new ServerFrame.PairEnded(null, conv, me, "peer_left")));
        }
        events.add(new UserFrames(me, cmd.conn(), new ServerFrame.PairEnded(null, conv, peer, "left")));
        return events;
    }

    /** A leave that ended the session: the peer ("" if none), and whether the leave's step told everyone. */
    private record Ended(String peer, boolean told) {
    }

    private String newConv() {
        char[] id = new char[16];
        for (int i = 0; i < id.length; i++) {
            id[i] = ID_CHARS[random.nextInt(ID_CHARS.length)];
        }
        return Conversations.PAIR_PREFIX + new String(id);
    }

    private static ProtocolException conflict(String message) {
        return new ProtocolException(ErrorCode.CONFLICT, message);
    }


}
