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
    private static final String ONLINE = "im:chat:online:";
    private static final String CONNS = "im:chat:conns:";
    private static final String PROFILE = "im:chat:profile:";
    private static final String CLOSED = "im:chat:closed:";

    // auth-service keys
    private static final String REFRESH = "im:auth:refresh:";

    private RedisNames() {
    }

    /** Pub/sub channel of one gateway node: {@link NodeMessage}s. */
    public static String nodeChannel(String node) {
        return "im:gw:node:" + node;
    }

    /** Pub/sub channel of one conversation: encoded {@link ServerFrame}s for every member. */
    public static String convChannel(String conv) {
        return "im:chat:conv:" + conv;
    }

    /** Set of user ids of a conversation's members that are online now. */
    public static String online(String conv) {
        return ONLINE + conv;
    }

    /** Hash connId -> node of one user's open connections. */
    public static String connections(String userId) {
        return CONNS + userId;
    }

    /** Tombstone of a closed connection (short TTL): a CONNECT processed after its DISCONNECT is ignored. */
    public static String closedConnection(String connId) {
        return CLOSED + connId;
    }

    /** Hash of a user's display profile (nickname, avatarUrl), refreshed from the token at every connect. */
    public static String profile(String userId) {
        return PROFILE + userId;
    }

    /** One refresh token (by SHA-256 of the token) -> its session. */
    public static String refreshToken(String tokenHash) {
        return REFRESH + tokenHash;
    }
}
