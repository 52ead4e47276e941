package io.wxim.chat.pair;

import io.wxim.chat.routing.Deliveries.UserFrames;
import io.wxim.protocol.ServerFrame;
import io.wxim.protocol.UserRef;
import java.util.List;

/**
 * What both users of a pair session that started are told ({@code pairStarted}, each naming the other), whether an
 * accept's step tells it ({@link PairCommands}) or the sweep of sessions an accept left unrecorded
 * ({@link UnrecordedPairSweeper}).
 */
final class StartNews {
    private StartNews() {
    }

    /**
     * Each user told of the other, on every connection but {@code exceptConn} of the accepter (the accepting one, which
     * gets the news in its answer; null: none).
     */
    static List<UserFrames> of(String conv, UserRef requester, UserRef accepter, String exceptConn) {
        return List.of(new UserFrames(requester.id(), new ServerFrame.PairStarted(null, conv, accepter)),
                new UserFrames(accepter.id(), exceptConn, new ServerFrame.PairStarted(null, conv, requester)));
    }
}
