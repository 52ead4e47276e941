package io.wxim.gateway.connection;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.wxim.protocol.CloseCode;
import io.wxim.protocol.NodeMessage;
import io.wxim.protocol.UserRef;
import io.wxim.protocol.crypto.FrameCipher;
import io.wxim.protocol.crypto.SecureChannelException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.netty.NettyPipeline;
import reactor.netty.http.websocket.WebsocketOutbound;
import reactor.util.concurrent.Queues;

/**
 * One live WebSocket: its user, the conversations it receives, its bounded outbound queue and the command it has in
 * flight. Frames are enqueued from several threads (Redis listeners, replies); emission is serialized by a short lock
 * around a non-blocking offer. A full queue means the client does not read: it is closed as a slow consumer.
 */
public final class Connection {
    private final String id;
    private final UserRef user;
    private final Sinks.Many<TextWebSocketFrame> outbound;
    private final WriterQueue<TextWebSocketFrame> writerQueue;
    /** Frames emitted into {@link #outbound} and not yet taken by the writer; bounded by {@link #queueLimit}. */
    private final AtomicInteger queued = new AtomicInteger();
    private final int queueLimit;
    private final Sinks.One<CloseCode> close = Sinks.one();
    private final AtomicReference<CloseCode> closedWith = new AtomicReference<>();
    /** Few, and changed only on join/leave: a copy-on-write array costs a fraction of a hash set per connection. */
    private final Set<String> conversations = new CopyOnWriteArraySet<>();
    private final AtomicLong refs = new AtomicLong();
    private final Runnable onSlowConsumer;
    private final AtomicReference<Pending> pending = new AtomicReference<>();
    private volatile boolean inFlight;
    /** When the client last sent a frame ({@link System#nanoTime()}); {@link ConnectionSweeper} closes idle ones. */
    private volatile long lastHeard = System.nanoTime();
    /** The session ({@code sid}) and expiry of the token the connection runs on; replaced by an in-band refresh. */
    private volatile Credentials credentials = new Credentials(null, null);

    /** What the current token says about the session; {@code expiresAt} null means no expiry. */
    public record Credentials(String sessionId, java.time.Instant expiresAt) {
    }
    /** Opens inbound frames once the client sent {@code secure}; null while the connection is plaintext. */
    private volatile FrameCipher inboundCipher;
    /** Seals outbound frames queued after the {@code secured} answer. */
    private volatile FrameCipher outboundCipher;
    /** The {@code secured} frame (compared by identity) after which queued frames are sealed, and its cipher. */
    private volatile SecureSwitch pendingSwitch;
    /** A sealed frame failed to open: every later one is refused too, while the close is on its way. */
    private volatile boolean secureFailed;

    private record SecureSwitch(String securedFrame, FrameCipher cipher) {
    }

    /**
     * Frames for the user, and for the connection's rooms, that arrived while a frame that must precede them was being
     * prepared: the welcome (held from the start), a {@code joined} ({@link #hold()}); written right after it, in
     * arrival order. {@code holds} counts what is being waited for: 1 from the start (the welcome), +1 per
     * {@link #hold()}; frames flow when it is back at 0 (guarded by this).
     */
    private List<Object> early = new ArrayList<>(); // OutFrame, or a Place kept by holdPlace()
    private int holds = 1;
    private boolean welcomed;
    /**
     * Whether the welcome's SUBSCRIBE was applied, and until then the rooms user-level UNSUBSCRIBEs (leaves) took away,
     * each with the highest leave value stated (null when none; {@link Long#MAX_VALUE} when not stated): the welcome
     * must not subscribe a room left after its memberships read began (ADR-31). Guarded by the
     * {@link ConnectionRegistry}.
     */
    private boolean welcomeApplied;
    private Map<String, Long> leftBeforeWelcome;
    /**
     * Frames held beyond this close the connection with {@link CloseCode#SLOW_CONSUMER} (the client reconnects and
     * syncs: nothing is lost) instead of being dropped.
     */
    static final int MAX_EARLY_FRAMES = 256;
    private static final int QUEUE_CHUNK = 16;
    private static final String WRITABILITY = "wxim.writability";
    /** Offered to the writer's queue to make the writer look again; never queued (see {@link WriterQueue}). */
    private static final TextWebSocketFrame WAKE = new TextWebSocketFrame(Unpooled.EMPTY_BUFFER);

    /** The command in flight: its ref and the sink its reply completes, swapped as one value. */
    private record Pending(long ref, Sinks.One<NodeMessage.Kind> reply, long startedNanos) {
    }

    Connection(String id, UserRef user, int queueSize, Runnable onSlowConsumer) {
        this.id = id;
        this.user = user;
        // A queue that grows in small chunks: a fixed array of queueSize slots cost ~2 KB per idle connection. The
        // bound is kept by counting; the writer polls it directly (see WriterQueue).
        this.writerQueue = new WriterQueue<>(Queues.<TextWebSocketFrame>unbounded(QUEUE_CHUNK).get(), queued, WAKE);
        this.outbound = Sinks.many().unicast().onBackpressureBuffer(writerQueue);
        this.queueLimit = queueSize;
        this.onSlowConsumer = onSlowConsumer;
    }

    public String id() {
        return id;
    }

    public UserRef user() {
        return user;
    }

    /** The client sent a frame at {@code nanos} ({@link System#nanoTime()}). */
    void heard(long nanos) {
        lastHeard = nanos;
    }

    long lastHeard() {
        return lastHeard;
    }

    public Credentials credentials() {
        return credentials;
    }

    /** The connection now runs on a token of this session with this expiry (at the handshake and on {@code auth}). */
    public void authenticate(String sessionId, java.time.Instant expiresAt) {
        credentials = new Credentials(sessionId, expiresAt);
    }

    Set<String> conversations() {
        return conversations;
    }

    /** Whether the welcome's SUBSCRIBE was applied. */
    boolean welcomeApplied() {
        return welcomeApplied;
    }

    /**
     * Before the welcome is applied: the user left these rooms, that leave's value being {@code leaves} (null: not
     * stated). A later join of one takes it back ({@link #rejoined}).
     */
    void leftBeforeWelcome(Collection<String> convs, Long leaves) {
        if (leftBeforeWelcome == null) {
            leftBeforeWelcome = new HashMap<>();
        }
        long value = leaves == null ? Long.MAX_VALUE : leaves;
        convs.forEach(conv -> leftBeforeWelcome.merge(conv, value, Math::max));
    }

    /** Before the welcome is applied: the user joined these rooms (again). */
    void rejoined(Collection<String> convs) {
        if (leftBeforeWelcome != null) {
            convs.forEach(leftBeforeWelcome::remove);
        }
    }

    /**
     * The welcome is being applied: its rooms less those left after its memberships read began, i.e. by a leave whose
     * value is above the user's last leave the welcome states ({@code lastLeaveRead}; null: not stated, then every
     * leave counts).
     */
    Collection<String> applyWelcome(Collection<String> convs, Long lastLeaveRead) {
        welcomeApplied = true;
        Map<String, Long> left = leftBeforeWelcome;
        leftBeforeWelcome = null;
        if (left == null) {
            return convs;
        }
        long since = lastLeaveRead == null ? Long.MIN_VALUE : lastLeaveRead;
        return convs.stream().filter(conv -> left.getOrDefault(conv, Long.MIN_VALUE) <= since).toList();
    }

    /** Enqueues an encoded frame; returns false (and closes the connection as a slow consumer) if the queue is full. */
    public boolean deliver(String frame) {
        return deliver(new OutFrame(frame));
    }

    /**
     * As {@link #deliver(String)}, for a frame shared by several connections (encoded once). The WebSocket frame is made
     * here, under the lock, in queue order: that order is the order frames are sealed in and the secure switch.
     */
    boolean deliver(OutFrame frame) {
        return deliver(frame, false);
    }

    /** A room's frame: held while a welcome or {@code joined} is being prepared ({@link #hold()}), else as {@link #deliver(OutFrame)}. */
    boolean deliverToMember(OutFrame frame) {
        return deliver(frame, true);
    }

    private boolean deliver(OutFrame frame, boolean holdable) {
        Sinks.EmitResult result;
        synchronized (this) {
            if (holdable && early != null) {
                if (early.size() < MAX_EARLY_FRAMES) {
                    early.add(frame);
                    return true;
                }
                result = Sinks.EmitResult.FAIL_OVERFLOW; // too much waiting for the welcome or joined
            } else if (queued.get() >= queueLimit) {
                result = Sinks.EmitResult.FAIL_OVERFLOW;
            } else {
                queued.incrementAndGet(); // before the emit: the writer may take (and count down) the frame at once
                TextWebSocketFrame wire = new TextWebSocketFrame(Unpooled.wrappedBuffer(wireBytes(frame)));
                result = outbound.tryEmitNext(wire);
                if (!result.isSuccess()) {
                    queued.decrementAndGet();
                    wire.release();
                }
            }
        }
        // The sink's queue itself is unbounded (it buffers before the writer subscribes too): the count is the bound.
        if (result == Sinks.EmitResult.FAIL_OVERFLOW) {
            onSlowConsumer.run();
            close(CloseCode.SLOW_CONSUMER);
            return false;
        }
        return result.isSuccess();
    }

    /**
     * Enqueues a frame addressed to the user (direct and pair messages, pairing events) rather than to this
     * connection's command. Until the welcome is written such frames are held, so the welcome is always the first
     * frame; {@link #release()} releases them in order.
     */
    public boolean deliverToUser(String frame) {
        return deliver(new OutFrame(frame), true);
    }

    /**
     * From now until the matching {@link #release()}, frames for the user and the connection's rooms are held: a
     * {@code joined} is being prepared, and a room's messages must not reach the client before it.
     */
    void hold() {
        synchronized (this) {
            if (early == null) {
                early = new ArrayList<>();
            }
            holds++;
        }
    }

    /**
     * As {@link #hold()}, keeping the place, among the frames held, of the frames it waits for (the {@code joined} a
     * join tells the user's other connections): {@link #deliverAwaited} fills it, so they go out after what was held
     * before (a {@code left} of the same room, say) and ahead of what is held since (the room's messages).
     */
    Place holdPlace() {
        synchronized (this) {
            if (early == null) {
                early = new ArrayList<>();
            }
            holds++;
            Place place = new Place();
            early.add(place);
            return place;
        }
    }

    /**
     * Puts {@code frames} in the place {@link #holdPlace()} kept, then releases that hold (they go out once nothing
     * else is awaited: on a connection being set up, after its welcome). Returns how many were queued.
     */
    int deliverAwaited(Place place, List<String> frames) {
        synchronized (this) {
            place.frames = frames.stream().map(OutFrame::new).toList();
            release();
        }
        return frames.size();
    }

    /** A place kept among the held frames ({@link #holdPlace()}); empty (skipped) if its hold is released unfilled. */
    static final class Place {
        private List<OutFrame> frames = List.of();
    }

    /** How many frames are held for a welcome or joined (tests). */
    int heldFrames() {
        synchronized (this) {
            return early == null ? 0 : (int) early.stream().filter(OutFrame.class::isInstance).count();
        }
    }

    /** What a {@link #hold()} waited for is enqueued; when nothing else is awaited the held frames follow it. */
    void release() {
        synchronized (this) {
            if (holds > 0) {
                holds--;
            }
            flushIfFree();
        }
    }

    /** The welcome was enqueued (once; later calls change nothing). */
    void markWelcomed() {
        synchronized (this) {
            if (!welcomed) {
                welcomed = true;
                holds--;
                flushIfFree();
            }
        }
    }

    private void flushIfFree() {
        if (holds == 0 && early != null) {
            List<Object> held = early;
            early = null;
            for (Object frame : held) {
                if (frame instanceof Place place) {
                    place.frames.forEach(this::deliver);
                } else {
                    deliver((OutFrame) frame);
                }
            }
        }
    }

    /**
     * The queued frames for the connection's single writer, with no operator in between: Reactor Netty's writer then
     * polls the sink's queue itself instead of keeping a 128-slot queue of its own per connection.
     */
    Flux<TextWebSocketFrame> outboundFrames() {
        return outbound.asFlux();
    }

    /**
     * Writes the queued frames to {@code out} until the queue completes ({@link #completeOutbound()}): Reactor Netty's
     * writer polls the queue itself, only while the socket is writable (or closed, so what is left can be dropped), and
     * is woken when the socket turns writable again.
     */
    Mono<Void> writeTo(WebsocketOutbound out) {
        out.withConnection(connection -> {
            Channel channel = connection.channel();
            writerQueue.gate(() -> channel.isWritable() || !channel.isActive());
            channel.pipeline().addBefore(NettyPipeline.ReactiveBridge, WRITABILITY, new WritabilityWatch(this::wake));
        });
        return out.sendObject(outboundFrames()).then();
    }

    /** Makes the writer look at the queue again (on the socket turning writable), if anything waits there. */
    void wake() {
        synchronized (this) {
            if (!writerQueue.isEmpty()) {
                outbound.tryEmitNext(WAKE);
            }
        }
    }

    /** Wakes the writer when the channel turns writable (on the event loop, after the flush that changed it). */
    private static final class WritabilityWatch extends ChannelInboundHandlerAdapter {
        private final Runnable wake;

        WritabilityWatch(Runnable wake) {
            this.wake = wake;
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable()) {
                ctx.executor().execute(wake);
            }
            ctx.fireChannelWritabilityChanged();
        }
    }

    /** The queued frames' text as written, sealed ones sealed (tests; the same single subscription as the writer's). */
    Flux<String> outbound() {
        return outboundFrames().map(frame -> {
            String text = frame.text();
            frame.release();
            return text;
        });
    }

    /**
     * Switches the connection to encrypted frames: inbound at once (the client seals everything after its
     * {@code secure}), outbound right after {@code securedFrame}, which is queued now and written as the last plaintext
     * frame. False if the connection is already encrypted.
     */
    public boolean switchToSecure(FrameCipher cipher, String securedFrame) {
        synchronized (this) {
            if (inboundCipher != null) {
                return false;
            }
            inboundCipher = cipher;
            pendingSwitch = new SecureSwitch(securedFrame, cipher);
            deliver(securedFrame);
            return true;
        }
    }

    public boolean isSecure() {
        return inboundCipher != null;
    }

    /**
     * The plaintext of an inbound sealed frame (counter, tag and direction checked by {@link FrameCipher#open}).
     * After one failure every later frame fails too.
     *
     * @throws SecureChannelException the uniform failure
     */
    String openInbound(String sealed) {
        if (secureFailed) {
            throw new SecureChannelException(FrameCipher.FAILURE);
        }
        try {
            return inboundCipher.open(sealed);
        } catch (SecureChannelException e) {
            secureFailed = true;
            throw e;
        }
    }

    /**
     * The UTF-8 bytes to write for a frame being queued: a plaintext frame's (shared) bytes, or sealed once the
     * connection's outbound side is encrypted. Called under the lock in queue order, which is what orders counters and
     * the switch.
     */
    private byte[] wireBytes(OutFrame frame) {
        FrameCipher cipher = outboundCipher;
        if (cipher != null) {
            return cipher.seal(frame.text).getBytes(StandardCharsets.UTF_8);
        }
        switchAfter(frame.text);
        return frame.utf8();
    }

    /** The {@code secured} frame was queued: every frame queued after it is sealed. */
    private void switchAfter(String frame) {
        SecureSwitch pending = pendingSwitch;
        if (pending != null && pending.securedFrame() == frame) { // identity: this very frame, not an equal one
            outboundCipher = pending.cipher();
            pendingSwitch = null;
        }
    }

    /** Asks the session to close with this code (first code wins). */
    public void close(CloseCode code) {
        if (closedWith.compareAndSet(null, code)) { // recorded before the session hears it: its cleanup reads it
            close.tryEmitValue(code);
        }
    }

    /** The code the server closed this connection with (the first asked for), or null: not closed by the server. */
    CloseCode closedWith() {
        return closedWith.get();
    }

    Mono<CloseCode> closeRequested() {
        return close.asMono();
    }


    void completeOutbound() {
        synchronized (this) {
            outbound.tryEmitComplete();
        }
    }

    /** Starts the one command this connection may have in flight; the returned Mono completes with its reply. */
    long beginCommand() {
        long ref = refs.incrementAndGet();
        pending.set(new Pending(ref, Sinks.one(), System.nanoTime())); // before the command is handed on
        inFlight = true;
        return ref;
    }

    /** System.nanoTime() when command {@code ref} began (before it was handed to chat-service), or empty if it is not the one in flight. */
    java.util.OptionalLong commandStartedAt(long ref) {
        Pending current = pending.get();
        return current != null && current.ref() == ref ? java.util.OptionalLong.of(current.startedNanos())
                : java.util.OptionalLong.empty();
    }

    /** Emits the kind of the message that completed the command (SUBSCRIBE for a successful connect). */
    Mono<NodeMessage.Kind> awaitCommand(Duration timeout) {
        return pending.get().reply().asMono().timeout(timeout).doFinally(signal -> inFlight = false);
    }

    /** Whether a command was handed to chat-service and its answer has not arrived (nor timed out) yet. */
    public boolean commandInFlight() {
        return inFlight;
    }

    /** Completes the in-flight command if {@code ref} is the one awaited; late replies are just delivered. */
    void completeCommand(long ref, NodeMessage.Kind kind) {
        Pending current = pending.get();
        if (current != null && current.ref() == ref) {
            current.reply().tryEmitValue(kind);
        }
    }
}
