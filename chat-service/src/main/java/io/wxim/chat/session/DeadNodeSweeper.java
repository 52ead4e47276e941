package io.wxim.chat.session;

import io.wxim.chat.config.ChatProperties;
import io.wxim.chat.presence.GatewayNodes;
import io.wxim.chat.presence.PresenceRepository;
import io.wxim.protocol.Command;
import io.wxim.protocol.OpenConnections;
import io.wxim.support.PeriodicTask;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Ends the connections of gateway processes that died without sending DISCONNECTs (killed, out of memory, a lost
 * host), as their DISCONNECTs would have: presence, online counts, pair grace. A running gateway refreshes its alive
 * key (value: its boot id, the middle part of each connId {@code node.boot.n}) every few seconds with a TTL of at
 * least a minute. Each pass, for every node in the index:
 * <ul>
 *   <li>alive key gone at this pass and the previous one (so a refresh that is merely late is not mistaken for a
 *       death): every connection of the node is ended and the node forgotten once its index is empty;</li>
 *   <li>alive with another boot id than at the previous pass (or the first pass of this instance): the connections of
 *       other boots are ended (the node id was reused by a new process, e.g. a restarted container). An alive value
 *       that is not a boot id (a gateway older than this check) is left alone.</li>
 *   <li>alive with the same boot id as at the previous pass: when the node wrote a new list of its open connections
 *       ({@link OpenConnections}), the connections held for it that are missing from this list and the one compared
 *       before are ended: their DISCONNECT was lost (a Redis outage longer than the gateway's retries, or the command
 *       stream trimmed before the entry was read), and they would otherwise stay online for as long as the gateway
 *       runs.</li>
 * </ul>
 * Runs in every chat-service instance; ending a connection is idempotent, so instances may overlap. A gateway whose
 * key lapsed while it was still running (stalled over a minute) closes its clients with 4001 when it notices, so
 * they register again.
 */
@Component
class DeadNodeSweeper extends PeriodicTask {
    private static final Logger log = LoggerFactory.getLogger(DeadNodeSweeper.class);
    /** Disconnects run at once while a dead node's connections are ended. */
    private static final int CONCURRENCY = 16;
    /** Connections ended per read of the node's alive key. */
    private static final int BATCH = 100;
    private static final Pattern BOOT = Pattern.compile("[0-9a-z]{1,16}");

    private final GatewayNodes nodes;
    private final PresenceRepository presence;
    private final SessionService sessions;
    /** Nodes whose alive key was gone at the previous pass. */
    private final Set<String> absent = ConcurrentHashMap.newKeySet();
    /** The boot id each live node had at the previous pass. */
    private final Map<String, String> boots = new ConcurrentHashMap<>();
    /** Per live node: the version of the last list of open connections compared, and the connections missing from it. */
    private final Map<String, Missing> missing = new ConcurrentHashMap<>();

    private record Missing(String version, Set<String> connIds) {
    }

    DeadNodeSweeper(GatewayNodes nodes, PresenceRepository presence, SessionService sessions, ChatProperties props) {
        super("dead gateway sweep", props.nodeSweepInterval());
        this.nodes = nodes;
        this.presence = presence;
        this.sessions = sessions;
    }

    @Override
    protected Mono<Void> runOnce() {
        return sweepOnce();
    }

    /** One pass over every node; completes when done. */
    Mono<Void> sweepOnce() {
        return sweep(nodes.nodes());
    }

    /** One pass over these nodes; what is remembered of nodes not among them is dropped. */
    Mono<Void> sweep(Flux<String> which) {
        return which.collectList().flatMap(list -> Flux.fromIterable(list)
                .concatMap(node -> nodes.alive(node).flatMap(alive -> check(node, alive)))
                .then(Mono.fromRunnable(() -> {
                    Set<String> listed = new HashSet<>(list);
                    absent.retainAll(listed);
                    boots.keySet().retainAll(listed);
                    missing.keySet().retainAll(listed);
                })));
    }

    private Mono<Void> check(String node, Optional<String> alive) {
        if (alive.isEmpty()) {
            boots.remove(node);
            if (absent.add(node)) {
                return Mono.empty(); // gone for the first time: dead, or a refresh late; the next pass tells
            }
            return end(node, null).then(nodes.forgetIfEmpty(node)).doOnNext(forgotten -> {
                if (forgotten) {
                    absent.remove(node);
                }
            }).then();
        }
        absent.remove(node);
        String boot = alive.get();
        if (!isBoot(boot)) {
            return Mono.empty();
        }
        if (boot.equals(boots.put(node, boot))) {
            return endMissing(node, boot);
        }
        return end(node, boot);
    }

    /**
     * Ends the connections of the node's live boot missing from its latest list of open connections and from the one
     * compared before it (a connection whose id was taken just before a list was made is in the next one), once per
     * new list. A list of another boot is not compared (the process restarted: {@link #end} handles its connections).
     */
    private Mono<Void> endMissing(String node, String boot) {
        Missing before = missing.get(node);
        return nodes.openConnectionsVersion(node)
                .filter(version -> before == null || !before.version().equals(version))
                .flatMap(version -> nodes.openConnections(node))
                .filter(list -> list.boot().equals(boot))
                .flatMap(list -> nodes.connections(node)
                        .filter(entry -> list.closedBefore(entry.getKey(), node))
                        .collectMap(Map.Entry::getKey, Map.Entry::getValue)
                        .flatMap(now -> {
                            missing.put(node, new Missing(list.version(), Set.copyOf(now.keySet())));
                            Set<String> earlier = before == null ? Set.of() : before.connIds();
                            int[] counts = new int[2]; // ended, failed
                            return Flux.fromIterable(now.entrySet())
                                    .filter(entry -> earlier.contains(entry.getKey()))
                                    .flatMap(entry -> endOne(node, entry.getKey(), entry.getValue()), CONCURRENCY)
                                    .doOnNext(ended -> counts[ended ? 0 : 1]++)
                                    .then(Mono.fromRunnable(() -> {
                                        if (counts[0] > 0 || counts[1] > 0) {
                                            log.warn("ended {} connections of gateway node {} missing from its open "
                                                    + "connections twice (their DISCONNECT was lost), {} failed (next list)",
                                                    counts[0], node, counts[1]);
                                        }
                                    }));
                        }));
    }

    /**
     * Ends the node's connections: all of them while its alive key is gone, else those of other boots than the live
     * one ({@code liveBoot}: the boot seen by this pass, null when the key was gone; for the log). The alive key is read
     * again before each batch: a node that comes back while its connections are being ended keeps those of its new
     * boot.
     */
    private Mono<Void> end(String node, String liveBoot) {
        int[] counts = new int[2]; // ended, failed
        return nodes.connections(node)
                .buffer(BATCH)
                .concatMap(batch -> nodes.alive(node)
                        .flatMapMany(alive -> Flux.fromIterable(batch).filter(entry -> toEnd(entry.getKey(), node, alive)))
                        .flatMap(entry -> endOne(node, entry.getKey(), entry.getValue()), CONCURRENCY))
                .doOnNext(ended -> counts[ended ? 0 : 1]++)
                .then(Mono.fromRunnable(() -> {
                    if (counts[0] > 0 || counts[1] > 0) {
                        log.warn("ended {} connections of gateway node {} ({}), {} failed (next pass): it stopped "
                                + "without disconnecting them", counts[0], node,
                                liveBoot == null ? "alive key gone" : "restarted as boot " + liveBoot, counts[1]);
                    }
                }));
    }

    private Mono<Boolean> endOne(String node, String connId, String userId) {
        return presence.profile(userId)
                .flatMap(user -> sessions.disconnect(new Command(Command.Event.DISCONNECT, node, connId, 0, user, null)))
                .thenReturn(true)
                .onErrorResume(e -> {
                    log.debug("connection of a dead gateway not ended: node={} connId={} error={}", node, connId,
                            e.toString());
                    return Mono.just(false);
                });
    }

    /** Given the node's alive value now: every connection when it is gone, none when it is no boot id, else other boots'. */
    private static boolean toEnd(String connId, String node, Optional<String> alive) {
        if (alive.isEmpty()) {
            return true;
        }
        return isBoot(alive.get()) && ofAnotherBoot(connId, node, alive.get());
    }

    private static boolean isBoot(String value) {
        return BOOT.matcher(value).matches();
    }

    /** True if {@code connId} ({@code node.boot.n}) was opened by another process than boot {@code liveBoot}. */
    static boolean ofAnotherBoot(String connId, String node, String liveBoot) {
        if (!connId.startsWith(node + ".")) {
            return false; // not a gateway connId: leave it alone
        }
        int end = connId.indexOf('.', node.length() + 1);
        return end > 0 && !connId.substring(node.length() + 1, end).equals(liveBoot);
    }
}
