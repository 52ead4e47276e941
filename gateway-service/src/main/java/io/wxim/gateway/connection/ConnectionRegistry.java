package io.wxim.gateway.connection;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.wxim.gateway.delivery.ConversationSubscriptions;
import io.wxim.protocol.CloseCode;
import io.wxim.protocol.NodeMessage;
import io.wxim.protocol.UserRef;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The live connections of this gateway, indexed by id, user and conversation. The only state a gateway holds.
 * Index changes happen under one short lock (no I/O inside); delivery reads the concurrent indexes without it.
 */
public final class ConnectionRegistry {
    private static final Logger log = LoggerFactory.getLogger(ConnectionRegistry.class);
    /** The ref of a connection's CONNECT: its first command ({@link Connection#beginCommand}), answered by its welcome. */
    static final long CONNECT_REF = 1;

    private final Map<String, Connection> byId = new ConcurrentHashMap<>();
    private final Map<String, Set<Connection>> byUser = new ConcurrentHashMap<>();
    private final Map<String, Set<Connection>> byConversation = new ConcurrentHashMap<>();
    private final ConversationSubscriptions subscriptions;
    private volatile boolean draining;
    /** Encoded error frame written when a subscription cannot be set up. */
    private final String unavailable;
    private final Counter slowConsumers;
    private final Counter framesOut;
    private final io.wxim.gateway.delivery.DeliveryLatency deliveryLatency;
    private final java.util.concurrent.atomic.AtomicInteger starting = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.atomic.AtomicLong connNumbers = new java.util.concurrent.atomic.AtomicLong();
    private volatile Runnable startingChanged = () -> { };
    private final int capacity;
    /** The frames to write once a SUBSCRIBE is applied (its stated seqs raised, ADR-27). */
    private final BiFunction<NodeMessage, Map<String, Long>, Mono<List<String>>> framesOnceSubscribed;

    /**
     * @param subscriptionsFactory builds the pub/sub subscriptions given the callback that fans a frame out locally
     */
    public ConnectionRegistry(Function<java.util.function.BiConsumer<String, String>, ConversationSubscriptions> subscriptionsFactory,
                              MeterRegistry meters, String unavailableFrame) {
        this(subscriptionsFactory, meters, unavailableFrame, Integer.MAX_VALUE);
    }

    /**
     * @param capacity the most connections held at once ({@code im.gateway.ws.max-connections}, resolved by
     *                 {@link io.wxim.gateway.config.ConnectionCapacity})
     */
    public ConnectionRegistry(Function<java.util.function.BiConsumer<String, String>, ConversationSubscriptions> subscriptionsFactory,
                              MeterRegistry meters, String unavailableFrame, int capacity) {
        this(subscriptionsFactory, meters, unavailableFrame, capacity, (message, seen) -> Mono.just(message.frames()));
    }

    /**
     * @param framesOnceSubscribed the frames of an applied SUBSCRIBE, read after the subscription is in place, given the
     *                             highest seqs this gateway received on channels it held since before the command
     *                             ({@link io.wxim.gateway.delivery.PublishedSeqs#framesOf}); never fails
     */
    public ConnectionRegistry(Function<java.util.function.BiConsumer<String, String>, ConversationSubscriptions> subscriptionsFactory,
                              MeterRegistry meters, String unavailableFrame, int capacity,
                              BiFunction<NodeMessage, Map<String, Long>, Mono<List<String>>> framesOnceSubscribed) {
        this.framesOnceSubscribed = framesOnceSubscribed;
        this.capacity = capacity;
        this.unavailable = unavailableFrame;
        this.subscriptions = subscriptionsFactory.apply(this::deliverToConversation);
        this.slowConsumers = meters.counter("im.gateway.slow_consumer.closes");
        this.framesOut = meters.counter("im.gateway.frames.out");
        this.deliveryLatency = new io.wxim.gateway.delivery.DeliveryLatency(meters, System::currentTimeMillis);
        meters.gauge("im.gateway.connections", byId, Map::size);
        Gauge.builder("im.gateway.connections.capacity", () -> capacity).register(meters);
    }

    /** What {@link #admit} decided: the registered connection, or why none was opened (the close code to send). */
    public record Admission(Connection connection, CloseCode refusal) {
    }

    /**
     * Creates and registers a connection, or refuses it, deciding why under the same lock: going away while draining,
     * too many connections when the user already holds {@code max} here (retrying cannot help until one of theirs
     * closes), try again when the gateway holds its capacity (another gateway or a later attempt may take it).
     */
    public synchronized Admission admit(String id, UserRef user, int queueSize, int max) {
        if (draining) {
            return new Admission(null, CloseCode.GOING_AWAY);
        }
        Set<Connection> own = byUser.get(user.id());
        if ((own == null ? 0 : own.size()) >= max) {
            return new Admission(null, CloseCode.TOO_MANY_CONNECTIONS);
        }
        if (byId.size() >= capacity) {
            return new Admission(null, CloseCode.TRY_AGAIN);
        }
        Connection connection = new Connection(id, user, queueSize, slowConsumers::increment);
        // a user has one connection or a few: a copy-on-write array instead of a hash set per user (changed under this lock)
        byUser.computeIfAbsent(user.id(), u -> new CopyOnWriteArraySet<>()).add(connection);
        byId.put(id, connection);
        return new Admission(connection, null);
    }

    /** {@link #admit}'s connection, or null if it was refused (for callers that do not need the reason). */
    public Connection open(String id, UserRef user, int queueSize, int max) {
        return admit(id, user, queueSize, max).connection();
    }

    /** Unregisters the connection; returns false if it was already closed. */
    public synchronized boolean close(Connection connection) {
        if (!byId.remove(connection.id(), connection)) {
            return false;
        }
        Set<Connection> own = byUser.get(connection.user().id());
        if (own != null) {
            own.remove(connection);
            if (own.isEmpty()) {
                byUser.remove(connection.user().id());
            }
        }
        for (String conv : connection.conversations()) {
            removeFromConversation(connection, conv);
        }
        connection.conversations().clear();
        connection.completeOutbound();
        return true;
    }

    /** Stops accepting connections and asks every open one to close with this code; returns how many were open. */
    public int closeAll(CloseCode code) {
        startDraining();
        byId.values().forEach(connection -> connection.close(code));
        return byId.size();
    }

    /** From now on no connection is accepted and no new command is started (see {@link #isDraining()}). */
    public void startDraining() {
        synchronized (this) {
            draining = true;
        }
    }

    /** Runs {@code action} for each open connection (no copy; connections opened or closed meanwhile may be missed). */
    void forEach(java.util.function.Consumer<Connection> action) {
        byId.values().forEach(action);
    }

    /** A new connection's number, the {@code n} of its connId {@code node.boot.n}: increasing in this process. */
    public long nextConnNumber() {
        return connNumbers.incrementAndGet();
    }

    /** The highest connection number taken so far (those up to it are open, closed, or about to be admitted). */
    public long lastConnNumber() {
        return connNumbers.get();
    }

    /** The ids of the open connections. */
    public java.util.List<String> openIds() {
        return java.util.List.copyOf(byId.keySet());
    }

    /** A snapshot of the open connections. */
    public java.util.List<Connection> connections() {
        return java.util.List.copyOf(byId.values());
    }

    /**
     * Closes (with 4501) the user's connections of session {@code sid}, or all of the user's connections when
     * {@code sid} is null; returns how many.
     */
    public int revoke(String userId, String sid) {
        int closed = 0;
        for (Connection connection : byUser.getOrDefault(userId, Set.of())) {
            if (sid == null || sid.equals(connection.credentials().sessionId())) {
                connection.close(CloseCode.SESSION_REVOKED);
                closed++;
            }
        }
        return closed;
    }

    public boolean isDraining() {
        return draining;
    }

    /** A session's CONNECT was sent and its welcome is awaited (admission control counts these). */
    void startBegan() {
        starting.incrementAndGet();
        startingChanged.run();
    }

    void startEnded() {
        starting.decrementAndGet();
        startingChanged.run();
    }

    /** Called after every change of {@link #starting()} (the {@link AcceptGate}). */
    void onStartingChanged(Runnable listener) {
        this.startingChanged = listener;
    }

    /** Sessions waiting for their welcome now. */
    public int starting() {
        return starting.get();
    }

    public int size() {
        return byId.size();
    }

    /** True while the gateway holds its capacity: new handshakes are refused (503) until connections close. */
    public boolean isFull() {
        return byId.size() >= capacity;
    }

    public int capacity() {
        return capacity;
    }

    /** A Redis connection of this gateway dropped: channels held locally no longer prove what was published (ADR-27). */
    public void distrustSubscriptions() {
        subscriptions.distrust();
    }

    /** The pub/sub subscriptions are proven in effect again. */
    public void subscriptionsProven() {
        subscriptions.trustAgain();
    }

    /**
     * Applies a message from chat-service: subscription changes first, then frames, then completes the command.
     * A message for a connection that now belongs to another user (a stale reply) is dropped. If the Redis
     * SUBSCRIBE fails, the change is rolled back and the requester gets {@code unavailable} instead of its frames,
     * so a client is never told it receives a conversation it does not. The frames of an applied SUBSCRIBE (a
     * welcome, a joined) are written once {@code framesOnceSubscribed} has them (ADR-27), without holding up the node
     * channel's next message; the connection's room and user frames arriving meanwhile wait for them.
     */
    public Mono<Void> apply(NodeMessage message) {
        if (message.kind() == NodeMessage.Kind.USER) {
            deliverToUser(message.user(), message.conn(), message.frames());
            return Mono.empty();
        }
        Connection target = message.conn() == null ? null : byId.get(message.conn());
        if (target != null && message.user() != null && !target.user().id().equals(message.user())) {
            log.warn("dropping node message for another user's connection: connId={}", message.conn());
            return Mono.empty();
        }
        boolean subscribing = message.kind() == NodeMessage.Kind.SUBSCRIBE;
        if (target != null && subscribing) {
            target.hold(); // before the subscription registers it: its new rooms' frames follow the welcome or joined
        }
        List<Told> told = subscribing ? holdOthers(message) : List.of();
        // once handed on (written or released by the next step), an error must not release the holds again
        java.util.concurrent.atomic.AtomicBoolean handedOn = new java.util.concurrent.atomic.AtomicBoolean();
        Mono<Boolean> change = Mono.defer(() -> switch (message.kind()) {
            case SUBSCRIBE -> subscribe(message, target);
            case UNSUBSCRIBE -> unsubscribe(message.user(), message.convs(), message.leaves()).thenReturn(true);
            case REPLY, USER -> Mono.just(true);
        });
        return change.doOnNext(applied -> {
            handedOn.set(true);
            if (applied && subscribing && (target != null || !told.isEmpty())) {
                // the frames for the requester and those for the user's others, stated seqs raised in one go
                List<String> all = new ArrayList<>(message.frames());
                all.addAll(message.others());
                NodeMessage both = NodeMessage.subscribe(message.user(), message.convs(), message.conn(), message.ref(),
                        all, message.seqs());
                int own = message.frames().size();
                Mono.defer(() -> framesOnceSubscribed.apply(both, target == null ? Map.of() : seenHere(target, message)))
                        .onErrorResume(e -> {
                            log.warn("stated seqs not checked: connId={} error={}", message.conn(), e.toString());
                            return Mono.just(all);
                        })
                        .defaultIfEmpty(all)
                        .map(frames -> frames.size() == all.size() ? frames : all)
                        .subscribe(frames -> {
                            tell(told, frames.subList(own, frames.size()));
                            if (target != null) {
                                finish(target, message, true, frames.subList(0, own));
                            }
                        });
            } else {
                told.forEach(t -> t.connection().release()); // not subscribed here: not told
                if (target != null) {
                    finish(target, message, applied, message.frames());
                }
            }
        }).doOnError(e -> {
            if (handedOn.get()) {
                return;
            }
            told.forEach(t -> t.connection().release());
            if (target != null && subscribing) {
                target.release(); // not applied: nothing more is written for it, so nothing waits for it
            }
        }).then();
    }

    /** A connection held for the frames a subscribe has for it, and the place they keep among its held frames. */
    private record Told(Connection connection, Connection.Place place) {
    }

    /**
     * The user's connections here but the message's own, held (like the requester) before the subscription registers
     * them, if the message has frames for them ({@link NodeMessage#others()}): the room's messages follow the event.
     */
    private List<Told> holdOthers(NodeMessage message) {
        if (message.others().isEmpty()) {
            return List.of();
        }
        List<Told> others = new ArrayList<>();
        synchronized (this) {
            for (Connection connection : byUser.getOrDefault(message.user(), Set.of())) {
                if (!connection.id().equals(message.conn())) {
                    others.add(new Told(connection, connection.holdPlace()));
                }
            }
        }
        return others;
    }

    /** Writes the frames a subscribe had for the user's other connections in their places, releasing each hold. */
    private void tell(List<Told> told, List<String> frames) {
        int delivered = 0;
        for (Told t : told) {
            try {
                delivered += t.connection().deliverAwaited(t.place(), frames);
            } catch (RuntimeException e) {
                log.warn("node message frames not written: connId={} error={}", t.connection().id(), e.toString());
            }
        }
        framesOut.increment(delivered);
    }

    /** The highest seqs this gateway received on the message's rooms that it held since before the command began. */
    private Map<String, Long> seenHere(Connection target, NodeMessage message) {
        if (message.seqs().isEmpty()) {
            return Map.of();
        }
        java.util.OptionalLong began = target.commandStartedAt(message.ref());
        return began.isPresent() ? subscriptions.highestSeqsSince(message.seqs().keySet(), began.getAsLong()) : Map.of();
    }

    /**
     * Writes the frames (or {@code unavailable}), marks the welcome, releases this message's hold, completes the
     * command: the last two whatever happens to the first.
     */
    private void finish(Connection target, NodeMessage message, boolean applied, List<String> frames) {
        boolean subscribing = message.kind() == NodeMessage.Kind.SUBSCRIBE;
        try {
            if (applied) {
                frames.forEach(target::deliver);
                framesOut.increment(frames.size());
                if (subscribing) {
                    target.markWelcomed(); // the first SUBSCRIBE of a connection carries its welcome
                }
            } else {
                target.deliver(unavailable);
            }
        } catch (RuntimeException e) {
            log.warn("node message frames not written: connId={} error={}", target.id(), e.toString());
        } finally {
            if (subscribing) {
                target.release();
            }
            if (message.ref() != 0) {
                target.completeCommand(message.ref(), applied ? message.kind() : NodeMessage.Kind.REPLY);
            }
        }
    }

    /**
     * Subscribes the user's connections here; emits false (after rolling the whole change back) if any Redis SUBSCRIBE
     * failed. A connection's welcome (the SUBSCRIBE answering its CONNECT, the connection's first command) leaves out
     * the rooms the user left after its memberships read began (ADR-31): chat read them before that leave, and the
     * leave's UNSUBSCRIBE can arrive first. A welcome for a connection that is gone (or welcomed
     * already: a redelivered CONNECT) changes no subscription. Any other SUBSCRIBE (a join) takes its rooms out of
     * those left.
     */
    private Mono<Boolean> subscribe(NodeMessage message, Connection target) {
        String userId = message.user();
        boolean welcome = message.conn() != null && message.ref() == CONNECT_REF;
        List<Mono<Boolean>> ready = new ArrayList<>();
        List<Map.Entry<Connection, String>> added = new ArrayList<>();
        synchronized (this) {
            Set<Connection> own = byUser.getOrDefault(userId, Set.of());
            Collection<String> convs = message.convs();
            if (welcome) {
                convs = target == null || target.welcomeApplied() ? List.of() : target.applyWelcome(convs, message.leaves());
            } else {
                Collection<String> requested = convs;
                own.forEach(connection -> {
                    if (!connection.welcomeApplied()) {
                        connection.rejoined(requested);
                    }
                });
            }
            for (Connection connection : own) {
                for (String conv : convs) {
                    if (connection.conversations().add(conv)) {
                        byConversation.computeIfAbsent(conv, c -> ConcurrentHashMap.newKeySet()).add(connection);
                        added.add(Map.entry(connection, conv));
                        ready.add(subscriptions.acquire(conv).thenReturn(true).onErrorReturn(false));
                    }
                }
            }
        }
        if (ready.isEmpty()) {
            return Mono.just(true);
        }
        return Flux.concat(ready).collectList().map(results -> {
            if (results.contains(false)) {
                log.warn("subscribe failed, rolled back: userId={}", userId);
                rollBack(added, results);
                return false;
            }
            return true;
        });
    }

    /**
     * Undoes a subscribe: additions whose subscription succeeded release their reference; those whose subscription
     * failed hold none (the failed entry is already gone), so they only leave the indexes.
     */
    private synchronized void rollBack(List<Map.Entry<Connection, String>> added, List<Boolean> subscribed) {
        for (int i = 0; i < added.size(); i++) {
            Connection connection = added.get(i).getKey();
            String conv = added.get(i).getValue();
            if (!connection.conversations().remove(conv)) {
                continue; // already removed (closed or unsubscribed meanwhile), which released it
            }
            if (subscribed.get(i)) {
                removeFromConversation(connection, conv);
            } else {
                dropFromIndex(connection, conv);
            }
        }
    }

    private Mono<Void> unsubscribe(String userId, Collection<String> convs, Long leaves) {
        synchronized (this) {
            for (Connection connection : byUser.getOrDefault(userId, Set.of())) {
                if (!connection.welcomeApplied()) {
                    connection.leftBeforeWelcome(convs, leaves);
                }
                for (String conv : convs) {
                    if (connection.conversations().remove(conv)) {
                        removeFromConversation(connection, conv);
                    }
                }
            }
        }
        return Mono.empty();
    }

    private void removeFromConversation(Connection connection, String conv) {
        if (dropFromIndex(connection, conv)) {
            subscriptions.release(conv);
        }
    }

    /** Removes the connection from the conversation's local members; true if it was there. */
    private boolean dropFromIndex(Connection connection, String conv) {
        Set<Connection> members = byConversation.get(conv);
        if (members == null || !members.remove(connection)) {
            return false;
        }
        if (members.isEmpty()) {
            byConversation.remove(conv);
        }
        return true;
    }

    /** Writes frames to every local connection of the user except {@code exceptConn}. */
    private void deliverToUser(String userId, String exceptConn, List<String> frames) {
        if (userId == null) {
            return;
        }
        frames.forEach(deliveryLatency::record);
        int delivered = 0;
        for (Connection connection : byUser.getOrDefault(userId, Set.of())) {
            if (connection.id().equals(exceptConn)) {
                continue;
            }
            for (String frame : frames) {
                try {
                    if (connection.deliverToUser(frame)) {
                        delivered++;
                    }
                } catch (RuntimeException e) {
                    log.warn("delivery failed: connId={} userId={} error={}", connection.id(), userId, e.toString());
                }
            }
        }
        framesOut.increment(delivered);
    }

    /** Writes one already-encoded frame to every local connection in the conversation; one failure never stops the rest. */
    void deliverToConversation(String conv, String frame) {
        Set<Connection> members = byConversation.get(conv);
        if (members == null) {
            return;
        }
        deliveryLatency.record(frame);
        OutFrame shared = new OutFrame(frame);
        int delivered = 0;
        for (Connection connection : members) {
            try {
                if (connection.deliverToMember(shared)) {
                    delivered++;
                }
            } catch (RuntimeException e) {
                log.warn("delivery failed: connId={} conversationId={} error={}", connection.id(), conv, e.toString());
            }
        }
        framesOut.increment(delivered);
    }
}
