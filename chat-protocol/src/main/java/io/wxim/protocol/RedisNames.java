package io.wxim.protocol;

/**
 * Every Redis key and channel name, defined once. Pattern {@code im:<owner>:<thing>[:<id>]}; only the owner
 * service reads or writes its keys. Channels are the hand-off points between services.
 */
public final class RedisNames {
    /** Stream of {@link Command}s from gateways to chat-service (consumer group {@link #COMMAND_GROUP}). */
    public static final String COMMAND_STREAM = "im:chat:commands";
    public static final String COMMAND_GROUP = "chat-service";
    /** Field of a command stream entry holding the encoded {@link Command}. */
    public static final String COMMAND_FIELD = "c";

    // chat-service presence keys
    /** The common prefix of every {@link #online} key (scripts derive keys from it). */
    public static final String ONLINE = "im:chat:online:";
    private static final String CONNS = "im:chat:conns:";
    private static final String PROFILE = "im:chat:profile:";
    private static final String CLOSED = "im:chat:closed:";
    private static final String LAST_SEEN = "im:chat:lastseen:";
    private static final String TYPING = "im:chat:typing:";
    // chat-service pairing keys
    /** Prefix of every pairing key (the pairing scripts derive other users' keys from it). */
    public static final String PAIR_PREFIX = "im:chat:pair:";
    private static final String PAIR_IN = PAIR_PREFIX + "in:";
    private static final String PAIR_OUT = PAIR_PREFIX + "out:";
    private static final String PAIR_OF = PAIR_PREFIX + "of:";
    private static final String PAIR_SESSION = PAIR_PREFIX + "session:";
    /** Sorted set "requester|target" by expiry time (epoch ms) of every pending pair request. */
    public static final String PAIR_EXPIRIES = PAIR_PREFIX + "expiries";
    /** Sorted set of user ids in a pair session who went offline, by the end of their grace period (epoch ms). */
    public static final String PAIR_LOST = PAIR_PREFIX + "lost";
    /**
     * Sorted set of pair sessions (conv) started in Redis, by when a sweep records them durably and tells both users
     * {@code pairStarted} if their accept has not (epoch ms); the accept removes its entry in the step that tells them
     * (or tells no one, the session having ended) once it recorded the session.
     */
    public static final String PAIR_UNRECORDED = PAIR_PREFIX + "unrecorded";

    // auth-service keys
    private static final String REFRESH = "im:auth:refresh:";
    private static final String REFRESH_USED = "im:auth:refresh-used:";
    private static final String FAMILY = "im:auth:family:";
    private static final String REVOKED_SESSION = "im:auth:revoked:sid:";
    private static final String REVOKED_FAMILY = "im:auth:revoked:family:";
    private static final String REVOKED_USER = "im:auth:revoked:user:";
    /** Pub/sub channel of {@link Revocation}s: gateways close the matching connections. */
    public static final String REVOCATIONS = "im:auth:revocations";
    /**
     * Pub/sub channel between chat-service instances: the id of a room membership that ended (a leave); each instance
     * stops trusting its cached copy of it.
     */
    public static final String MEMBERSHIPS_ENDED = "im:chat:memberships:ended";

    private RedisNames() {
    }

    /** Pub/sub channel of one gateway node: {@link NodeMessage}s. */
    public static String nodeChannel(String node) {
        return "im:gw:node:" + node;
    }

    /**
     * String key of one gateway node (owner: gateway), refreshed with a TTL while it runs: if it is gone when the
     * gateway's Redis connection comes back, Redis lost its data (and chat-service its record of that node's
     * connections), so the gateway makes its clients reconnect.
     */
    public static String nodeAliveKey(String node) {
        return "im:gw:alive:" + node;
    }

    /**
     * String: one gateway process's list of its open connections ({@link OpenConnections}), rewritten every minute or
     * so with a TTL of three times that. Owner: gateway-service; read by chat-service to end connections whose
     * DISCONNECT was lost.
     */
    public static String openConnections(String node) {
        return "im:gw:open:" + node;
    }

    /**
     * Token bucket (hash {@code t}: last refill in microseconds of Redis TIME, {@code n}: tokens) of one user's
     * {@code send}s, shared by every gateway. Owned by gateway-service.
     */
    public static String userSendRate(String userId) {
        return "im:gw:rate:" + userId;
    }

    /**
     * Sorted set of one user's open connections on every gateway: member connId, score the epoch millisecond at which
     * the entry expires unless its gateway refreshes it (so a crashed gateway's entries lapse). Owned by gateway-service.
     */
    public static String userConnections(String userId) {
        return "im:gw:conns:" + userId;
    }

    /** Pub/sub channel of one conversation: encoded {@link ServerFrame}s for every member. */
    public static String convChannel(String conv) {
        return "im:chat:conv:" + conv;
    }

    /** Set of user ids of a conversation's members that are online now. */
    public static String online(String conv) {
        return ONLINE + conv;
    }

    /**
     * String: the highest {@code seq} chat-service published on the conversation's channel in the last minute or so (it
     * expires). Only a hint for gateways (ADR-27): a subscription applied after a message went out reads it to tell
     * the client that message exists. Never a source of seqs, which MongoDB alone assigns.
     */
    public static String publishedSeq(String conv) {
        return "im:chat:published:" + conv;
    }

    /** Set of the gateway nodes that have (or had) connections in {@link #nodeConnections}. Owner: chat-service. */
    public static final String NODES = "im:chat:nodes";

    /**
     * Hash connId -> userId of the open connections on one gateway node (the per-user {@link #connections}, indexed by
     * node): when the node dies without sending DISCONNECTs (its {@link #nodeAliveKey} lapses), chat-service ends them.
     */
    public static String nodeConnections(String node) {
        return "im:chat:node:" + node;
    }

    /** Hash connId -> node of one user's open connections. */
    public static String connections(String userId) {
        return CONNS + userId;
    }

    /**
     * Set of the conversations whose online set ({@link #online}) holds the user: a DISCONNECT cleans them without
     * reading MongoDB.
     */
    public static String onlineIn(String userId) {
        return "im:chat:onlinein:" + userId;
    }

    /**
     * Hash connId -> node of one user's connections being set up (registered before chat-service reads the user's
     * memberships, moved to {@link #connections} when the connect completes; short TTL): deliveries to the user reach
     * these too, so a conversation created during the connect is not missed. Not presence.
     */
    public static String connecting(String userId) {
        return "im:chat:connecting:" + userId;
    }

    /**
     * One user's last room leave, as a value of {@link #LEAVE_SEQ} (set with the leave's removal from the room's online
     * set; short TTL): a CONNECT reads it before the user's memberships and registers only if it is unchanged, else reads
     * them again, so a leave on another device while they are read is not undone (ADR-31).
     */
    public static String leaves(String userId) {
        return "im:chat:leaves:" + userId;
    }

    /**
     * The rooms one user left recently, each with its leave's value of {@link #LEAVE_SEQ} (a hash, short TTL; a join
     * takes its room out): a CONNECT's last, forced registration leaves out of the online sets the rooms left after the
     * memberships were read (ADR-31).
     */
    public static String leftRooms(String userId) {
        return "im:chat:leftrooms:" + userId;
    }

    /**
     * Held by the one join or leave command of {@code userId} for room {@code conv} that runs (a string: its token),
     * from before its MongoDB write until its reply was sent (if its work ended by itself), at most until its deadline: the user's other device's
     * join or leave of the same room waits for it, so MongoDB's order of the two is Redis's too (ADR-35).
     */
    public static String membershipLock(String userId, String conv) {
        return "im:chat:memlock:" + userId + ":" + conv;
    }

    /**
     * What was told of one user's room memberships (a hash conv -> {@code j:<until ms>} when its {@code memberJoined}
     * was told, {@code l:<until ms>} when its {@code memberLeft} was; a record counts for 10 minutes): written by the
     * step that tells it ({@code mark_online.lua}, {@code connect.lua}, {@code room_leave.lua}; a room's create records
     * its creator's join without telling it: the creator's {@code joined} does), so each join and each leave is told
     * once however attempts, retries and connects interleave.
     */
    public static String joinsTold(String userId) {
        return "im:chat:joinstold:" + userId;
    }

    /** Sequence of all room leaves (never expires): a user's {@link #leaves} value never repeats, also after it lapsed. */
    public static final String LEAVE_SEQ = "im:chat:leaveseq";

    /**
     * Set of the crowded conversations whose online count changed since the last crowd flush: added by the script that
     * made the change, popped by whichever chat instance flushes next (so a mark outlives a lost answer and the
     * instance that made it). Owner: chat-service.
     */
    public static final String CROWDED = "im:chat:crowded";

    /** Tombstone of a closed connection (short TTL): a CONNECT processed after its DISCONNECT is ignored. */
    public static String closedConnection(String connId) {
        return CLOSED + connId;
    }

    /** Hash of a user's display profile (nickname, avatarUrl), refreshed from the token at every connect. */
    public static String profile(String userId) {
        return PROFILE + userId;
    }

    /** Epoch ms when the user's last connection closed. */
    public static String lastSeen(String userId) {
        return LAST_SEEN + userId;
    }

    /** Short-lived marker limiting typing events of one user in one conversation. */
    public static String typing(String conv, String userId) {
        return TYPING + conv + ":" + userId;
    }

    /** Hash requester -> "expiresAt|conv" of the pair requests waiting for this user's answer. */
    public static String pairIncoming(String userId) {
        return PAIR_IN + userId;
    }

    /** Hash target -> expiresAt of this user's own pending requests. */
    public static String pairOutgoing(String userId) {
        return PAIR_OUT + userId;
    }

    /** The pair session conversation this user is in now (absent when none). */
    public static String pairOf(String userId) {
        return PAIR_OF + userId;
    }

    /** Hash {@code a}, {@code b}, {@code startedAt} of an active pair session. */
    public static String pairSession(String conv) {
        return PAIR_SESSION + conv;
    }

    /** A refresh token already rotated (by hash) -> its session: presenting it again revokes the session. */
    public static String refreshUsed(String tokenHash) {
        return REFRESH_USED + tokenHash;
    }

    /**
     * A refresh token rotated within the retry grace (by hash) -> {@code <hash of the token that rotation issued>|<the
     * rotation's time, ms>}; TTL = the grace. Presenting the rotated token again while it lives is a retry after a lost
     * answer, not a reuse. (Named {@code refresh-succ}: before 2026-12-06 {@code refresh-next} held the hash alone, and
     * an instance of either kind must not read the other's records during a rolling upgrade: one finds none, and a
     * retry it is asked then counts as a reuse, which is safe.)
     */
    public static String refreshNext(String tokenHash) {
        return "im:auth:refresh-succ:" + tokenHash;
    }

    /** A session (refresh token family) -> the hash of its current refresh token. */
    public static String refreshFamily(String sessionId) {
        return FAMILY + sessionId;
    }

    /** Marker of a revoked session ({@code sid} claim of access tokens); lives as long as an access token. */
    public static String revokedSession(String sessionId) {
        return REVOKED_SESSION + sessionId;
    }

    /** Tombstone of a revoked session for as long as its refresh tokens could live: no refresh succeeds in it again. */
    public static String revokedFamily(String sessionId) {
        return REVOKED_FAMILY + sessionId;
    }

    /**
     * Epoch second: every token of the user issued at or before it is revoked (ban): access tokens at the gateways,
     * refresh sessions at auth-service (so lifting a ban does not revive them).
     */
    public static String revokedUser(String userId) {
        return REVOKED_USER + userId;
    }

    /** One refresh token (by SHA-256 of the token) -> its session. */
    public static String refreshToken(String tokenHash) {
        return REFRESH + tokenHash;
    }
}
