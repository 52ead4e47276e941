package io.wxim.chat.config;

import java.time.Duration;

/** {@link ChatProperties} for tests: the defaults but one setting. */
public final class TestChatProperties {
    private TestChatProperties() {
    }

    /**
     * The defaults, but rooms with more than {@code threshold} members online get counts instead of per-user
     * announcements, with an hour between the periodic counts.
     */
    public static ChatProperties withCrowdThreshold(int threshold) {
        ChatProperties d = ChatProperties.defaults();
        return new ChatProperties(d.consumerName(), d.stream(), d.history(), d.redisTimeout(),
                d.mongoTimeout(), d.lobbyName(), d.maxRoomsListed(), d.maxMembersListed(), d.heartbeatSeconds(),
                d.commandDeadline(), d.maxRoomsPerUser(), d.pair(), d.recallWindow(), d.typingInterval(),
                d.maxConversationsListed(), new ChatProperties.Crowd(threshold, Duration.ofHours(1)),
                d.nodeSweepInterval());
    }
}
