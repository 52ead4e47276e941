package io.wxim.chat.config;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * chat-service settings ({@code im.chat.*}).
 *
 * @param consumerName  this instance's name in the command stream's consumer group; must be unique per replica
 *                      and stable across restarts if possible (pending entries are claimed by name). Default: random.
 * @param stream        command stream consumption
 * @param history       calls to history-service
 * @param redisTimeout  bound on every Redis call; Redis answers in well under 1 ms, so 2s means it is down
 * @param mongoTimeout  bound on every Mongo call
 * @param lobbyName     display name of the default room everyone online is in
 * @param maxRoomsListed most rooms returned by a {@code rooms} request (keeps the frame far below the frame limit)
 * @param maxMembersListed most online members returned by a {@code members} request
 * @param heartbeatSeconds ping interval told to clients in {@code welcome}; must be well below the gateway idle timeout
 * @param commandDeadline bound on one command, counted from its entry in the stream (on Redis's clock); below the
 *                        gateway's 10s wait, so chat-service is done with a connection's command before the gateway
 *                        sends its next; a command that waited longer is not run (ADR-26)
 * @param maxRoomsPerUser rooms one user may be a member of (every connect loads them all)
 * @param pair          1v1 pairing
 * @param recallWindow  how long after sending its sender may recall a message
 * @param typingInterval at most one typing event per user and conversation in this interval; more get rate_limited
 * @param maxConversationsListed most conversations in {@code welcome} and in the conversation list (newest joined first)
 * @param crowd         presence in rooms with many members online
 * @param nodeSweepInterval how often the gateway nodes' alive keys are checked: the connections of a node whose key
 *                      was gone at two passes in a row (it died without sending DISCONNECTs), or whose connIds name
 *                      another boot than the running process's, are ended as DISCONNECTs would have
 */
@Validated
@ConfigurationProperties("im.chat")
public record ChatProperties(
        String consumerName,
        @Valid @DefaultValue Stream stream,
        @Valid @DefaultValue History history,
        @DefaultValue("2s") Duration redisTimeout,
        @DefaultValue("3s") Duration mongoTimeout,
        @NotBlank @DefaultValue("Lobby") String lobbyName,
        @Min(1) @DefaultValue("200") int maxRoomsListed,
        @Min(1) @DefaultValue("500") int maxMembersListed,
        @Min(5) @DefaultValue("25") int heartbeatSeconds,
        @DefaultValue("8s") Duration commandDeadline,
        @Min(1) @DefaultValue("100") int maxRoomsPerUser,
        @Valid @DefaultValue Pair pair,
        @DefaultValue("2m") Duration recallWindow,
        @DefaultValue("2s") Duration typingInterval,
        @Min(1) @DefaultValue("300") int maxConversationsListed,
        @Valid @DefaultValue Crowd crowd,
        @DefaultValue("15s") Duration nodeSweepInterval) {

    /** The defaults, for code and tests that run without Spring. */
    public static ChatProperties defaults() {
        return new ChatProperties(null, new Stream(64, Duration.ofSeconds(1), 64, Duration.ofSeconds(15),
                Duration.ofSeconds(5), 5),
                new History("http://localhost:8082", Duration.ofSeconds(2), 2, 100, 500, DataSize.ofMegabytes(4)),
                Duration.ofSeconds(2), Duration.ofSeconds(3), "Lobby", 200, 500, 25, Duration.ofSeconds(8), 100,
                new Pair(Duration.ofMinutes(2), Duration.ofSeconds(30), Duration.ofSeconds(1), 10, 50),
                Duration.ofMinutes(2), Duration.ofSeconds(2), 300, new Crowd(100, Duration.ofSeconds(1)),
                Duration.ofSeconds(15));
    }

    /** The same settings with another consumer name and stream section. */
    public ChatProperties with(String newConsumerName, Stream newStream) {
        return new ChatProperties(newConsumerName, newStream, history, redisTimeout, mongoTimeout, lobbyName,
                maxRoomsListed, maxMembersListed, heartbeatSeconds, commandDeadline, maxRoomsPerUser, pair, recallWindow,
                typingInterval, maxConversationsListed, crowd, nodeSweepInterval);
    }

    /**
     * @param batchSize      entries read per XREADGROUP; amortizes round trips under load
     * @param pollTimeout    XREADGROUP BLOCK time; short enough to stop promptly at shutdown, and below
     *                       spring.data.redis.timeout, which bounds each read
     * @param concurrency    commands processed at once per instance (commands of one connection never overlap:
     *                       the gateway keeps one in flight)
     * @param claimIdle      a pending entry idle this long belonged to a dead instance and is claimed: run again if it
     *                       is a DISCONNECT or still inside its deadline, else acknowledged unrun (ADR-26)
     * @param claimInterval  how often pending entries are checked
     * @param maxDeliveries  an entry delivered this often is a poison message: logged, counted and dropped
     */
    public record Stream(
            @Min(1) @DefaultValue("64") int batchSize,
            @DefaultValue("1s") Duration pollTimeout,
            @Min(1) @DefaultValue("64") int concurrency,
            @DefaultValue("15s") Duration claimIdle,
            @DefaultValue("5s") Duration claimInterval,
            @Min(1) @DefaultValue("5") int maxDeliveries) {
    }

    /**
     * @param baseUrl  history-service base URL
     * @param timeout  bound on each call; a store takes a few ms, so a second means trouble
     * @param retries  retries of a failed call (all calls are idempotent: inserts are keyed by cmid)
     * @param syncPage messages per conversation in one {@code synced} frame
     * @param syncBudget messages in all the {@code synced} frames answering one {@code sync}; the rest say {@code more}
     * @param maxResponseSize largest history answer read: a page of {@code syncPage} bodies of 4000 code points,
     *                        JSON-escaped, fits (the WebClient default of 256KB does not)
     */
    public record History(
            @NotBlank @DefaultValue("http://localhost:8082") String baseUrl,
            @DefaultValue("2s") Duration timeout,
            @Min(0) @DefaultValue("2") int retries,
            @Min(1) @DefaultValue("100") int syncPage,
            @Min(1) @DefaultValue("500") int syncBudget,
            @DefaultValue("4MB") DataSize maxResponseSize) {
    }

    /**
     * @param requestTtl    a pair request not answered in this time expires (both sides get pairRequestClosed)
     * @param grace         a user in a pair session who is offline this long ends it (the peer gets peer_offline)
     * @param sweepInterval how often expired requests, lost peers and unrecorded sessions are looked for (each instance; claims are atomic)
     * @param maxOutgoing   pending requests one user may have sent
     * @param maxIncoming   pending requests one user may be waiting to answer (both bound an accept's one Redis step,
     *                      which closes and tells every other request of its two users: about 4 hash reads and 2
     *                      publishes each)
     */
    public record Pair(
            @DefaultValue("2m") Duration requestTtl,
            @DefaultValue("30s") Duration grace,
            @DefaultValue("1s") Duration sweepInterval,
            @Min(1) @Max(1000) @DefaultValue("10") int maxOutgoing,
            @Min(1) @Max(1000) @DefaultValue("50") int maxIncoming) {
    }

    /**
     * Presence in crowded rooms. A user coming online or going offline is announced to each of their rooms with the
     * user ({@code memberJoined}/{@code memberLeft} in the lobby, {@code presence} elsewhere) while the room has at
     * most {@code threshold} members online. Above it, per-user announcements stop (N users connecting would cost N^2
     * frames) and the room gets one {@code online} frame with its count at most once per {@code interval}.
     *
     * @param threshold online members above which a room gets counts instead of per-user announcements
     * @param interval  at most one {@code online} frame per crowded room and chat instance in this interval
     */
    public record Crowd(
            @Min(0) @DefaultValue("100") int threshold,
            @DefaultValue("1s") Duration interval) {
    }
}
