package io.wxim.gateway.connection;

import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.protocol.CloseCode;
import io.wxim.protocol.NodeMessage;
import io.wxim.protocol.UserRef;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

class ConnectionTests {
    private final AtomicInteger slow = new AtomicInteger();
    private final Connection connection = new Connection("c1", new UserRef("u1", "A", null), 8, slow::incrementAndGet);

    @Test
    void closesAsSlowConsumer_whenOutboundQueueOverflows() {
        for (int i = 0; i < 8; i++) {
            assertThat(connection.deliver("f" + i)).isTrue();
        }
        assertThat(connection.deliver("one too many")).isFalse();
        assertThat(slow).hasValue(1);
        StepVerifier.create(connection.closeRequested()).expectNext(CloseCode.SLOW_CONSUMER).verifyComplete();
    }

    @Test
    void theBoundCountsFramesNotYetTaken_soTakenFramesFreeRoom() {
        for (int i = 0; i < 8; i++) {
            assertThat(connection.deliver("f" + i)).isTrue();
        }
        StepVerifier.create(connection.outbound(), 0)
                .thenRequest(5)
                .expectNextCount(5)
                .then(() -> {
                    for (int i = 0; i < 5; i++) {
                        assertThat(connection.deliver("g" + i)).isTrue();
                    }
                    assertThat(connection.deliver("one too many")).isFalse();
                })
                .thenRequest(8)
                .expectNext("f5", "f6", "f7", "g0", "g1", "g2", "g3", "g4")
                .thenCancel()
                .verify(Duration.ofSeconds(5));
        assertThat(slow).hasValue(1);
    }

    @Test
    void deliversQueuedFramesInOrder() {
        connection.deliver("a");
        connection.deliver("b");
        connection.completeOutbound();
        StepVerifier.create(connection.outbound()).expectNext("a", "b").expectComplete().verify(Duration.ofSeconds(5));
    }

    @Test
    void holdsFramesForTheUser_untilTheWelcome_thenKeepsTheirOrder() {
        Connection c = new Connection("c2", new UserRef("u1", "A", null), Connection.MAX_EARLY_FRAMES + 16, slow::incrementAndGet);
        assertThat(c.deliverToUser("dm1")).isTrue();
        assertThat(c.deliverToUser("dm2")).isTrue();
        c.deliver("welcome");
        c.markWelcomed();
        c.deliverToUser("dm3");
        c.markWelcomed(); // a later SUBSCRIBE (join) changes nothing
        c.deliver("joined");
        c.completeOutbound();
        StepVerifier.create(c.outbound()).expectNext("welcome", "dm1", "dm2", "dm3", "joined").expectComplete()
                .verify(Duration.ofSeconds(5));
    }

    @Test
    void tooManyFramesWaitingForTheWelcome_closeTheConnectionToReconnect_insteadOfDroppingThem() {
        Connection c = new Connection("c3", new UserRef("u1", "A", null), Connection.MAX_EARLY_FRAMES + 16, slow::incrementAndGet);
        for (int i = 0; i < Connection.MAX_EARLY_FRAMES; i++) {
            assertThat(c.deliverToUser("f" + i)).isTrue();
        }
        assertThat(c.deliverToUser("one too many")).isFalse();
        assertThat(slow).hasValue(1);
        StepVerifier.create(c.closeRequested()).expectNext(CloseCode.SLOW_CONSUMER).verifyComplete();
    }

    @Test
    void framesWaitUntilEveryHoldIsReleased_theWelcomeFirst() {
        Connection c = new Connection("c4", new UserRef("u1", "A", null), 64, slow::incrementAndGet);
        c.hold(); // a join prepared before the welcome is out (a retried command overlapping the connect)
        c.deliverToMember(new OutFrame("room1"));
        c.deliver("welcome");
        c.markWelcomed();
        c.hold(); // a second joined prepared
        c.deliverToUser("dm1");
        c.release(); // the first hold: one is still awaited
        assertThat(c.heldFrames()).isEqualTo(2);
        c.deliver("joined");
        c.release();
        c.deliverToMember(new OutFrame("room2"));
        c.completeOutbound();
        StepVerifier.create(c.outbound()).expectNext("welcome", "joined", "room1", "dm1", "room2").expectComplete()
                .verify(Duration.ofSeconds(5));
    }

    @Test
    void firstCloseCodeWins() {
        assertThat(connection.closedWith()).as("not closed by the server").isNull();
        connection.close(CloseCode.IDLE_TIMEOUT);
        connection.close(CloseCode.SLOW_CONSUMER);
        StepVerifier.create(connection.closeRequested()).expectNext(CloseCode.IDLE_TIMEOUT).verifyComplete();
        assertThat(connection.closedWith()).as("what the close log states").isEqualTo(CloseCode.IDLE_TIMEOUT);
    }

    @Test
    void completesTheCommand_onlyWithItsOwnRef() {
        long older = connection.beginCommand();
        long next = connection.beginCommand();
        connection.completeCommand(older, NodeMessage.Kind.REPLY); // a late reply to the previous command
        StepVerifier.create(connection.awaitCommand(Duration.ofMillis(200))).expectError(TimeoutException.class)
                .verify(Duration.ofSeconds(5));

        connection.completeCommand(next, NodeMessage.Kind.SUBSCRIBE);
        StepVerifier.create(connection.awaitCommand(Duration.ofSeconds(1))).expectNext(NodeMessage.Kind.SUBSCRIBE)
                .verifyComplete();
    }
}
