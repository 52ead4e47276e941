package io.wxim.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FrameCodecTests {
    private final FrameCodec codec = new FrameCodec();

    @Test
    void decodesSend_andIgnoresIdentityFieldsClaimedByTheClient() {
        ClientFrame frame = codec.decodeClient(
                "{\"type\":\"send\",\"rid\":\"r1\",\"cmid\":\"c-1\",\"conv\":\"r:lobby\",\"body\":\"hi\","
                        + "\"from\":\"someone-else\",\"seq\":99}");
        assertThat(frame).isEqualTo(new ClientFrame.Send("r1", "c-1", "r:lobby", "hi"));
    }

    @Test
    void decodesImageAndAudioSends() {
        assertThat(codec.decodeClient("{\"type\":\"send\",\"cmid\":\"c\",\"conv\":\"r:x\",\"kind\":\"image\",\"media\":\"m_1\"}"))
                .isEqualTo(new ClientFrame.Send(null, "c", "r:x", null, "image", null, "m_1", null));
        assertThat(codec.decodeClient("{\"type\":\"send\",\"cmid\":\"c\",\"to\":\"u2\",\"kind\":\"audio\",\"media\":\"m2\",\"duration\":1500}"))
                .isEqualTo(new ClientFrame.Send(null, "c", null, "u2", "audio", null, "m2", 1500));
        assertThat(((ClientFrame.Send) codec.decodeClient("{\"type\":\"send\",\"cmid\":\"c\",\"conv\":\"r:x\",\"body\":\"hi\"}")).kind())
                .isEqualTo("text");
    }

    @Test
    void decodesTheDirectAndPairingFrames() {
        assertThat(codec.decodeClient("{\"type\":\"send\",\"cmid\":\"c\",\"to\":\"u_1-x\",\"body\":\"hi\"}"))
                .isEqualTo(new ClientFrame.Send(null, "c", null, "u_1-x", "hi"));
        assertThat(codec.decodeClient("{\"type\":\"read\",\"conv\":\"d:ab\",\"seq\":3}"))
                .isEqualTo(new ClientFrame.Read(null, "d:ab", 3));
        assertThat(codec.decodeClient("{\"type\":\"recall\",\"rid\":\"r\",\"conv\":\"r:x\",\"seq\":1}"))
                .isEqualTo(new ClientFrame.Recall("r", "r:x", 1));
        assertThat(codec.decodeClient("{\"type\":\"typing\",\"conv\":\"p:ab\"}")).isEqualTo(new ClientFrame.Typing(null, "p:ab"));
        assertThat(codec.decodeClient("{\"type\":\"status\",\"user\":\"u1\"}")).isEqualTo(new ClientFrame.Status(null, "u1"));
        assertThat(codec.decodeClient("{\"type\":\"pairRequest\",\"to\":\"u2\"}")).isEqualTo(new ClientFrame.PairRequest(null, "u2"));
        assertThat(codec.decodeClient("{\"type\":\"pairCancel\",\"to\":\"u2\"}")).isEqualTo(new ClientFrame.PairCancel(null, "u2"));
        assertThat(codec.decodeClient("{\"type\":\"pairPending\"}")).isEqualTo(new ClientFrame.PairPending(null));
        assertThat(codec.decodeClient("{\"type\":\"pairAccept\",\"from\":\"u2\"}")).isEqualTo(new ClientFrame.PairAccept(null, "u2"));
        assertThat(codec.decodeClient("{\"type\":\"pairDecline\",\"from\":\"u2\"}")).isEqualTo(new ClientFrame.PairDecline(null, "u2"));
        assertThat(codec.decodeClient("{\"type\":\"pairLeave\",\"conv\":\"p:ab\"}")).isEqualTo(new ClientFrame.PairLeave(null, "p:ab"));
    }

    @Test
    void decodesSync_withSeqPerConversation() {
        ClientFrame frame = codec.decodeClient("{\"type\":\"sync\",\"convs\":{\"r:lobby\":3,\"r:abc\":0}}");
        assertThat(frame).isInstanceOfSatisfying(ClientFrame.Sync.class, sync -> {
            assertThat(sync.convs()).containsExactlyInAnyOrderEntriesOf(Map.of("r:lobby", 3L, "r:abc", 0L));
            assertThat(sync.limit()).isNull();
        });
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "not json                                              | bad_request",
            "{\"type\":\"send\"                                    | bad_request",
            "[]                                                    | bad_request",
            "{\"cmid\":\"c\"}                                      | bad_request",
            "{\"type\":\"explode\"}                                | unknown_type",
            "{\"type\":\"ack\",\"cmid\":\"c\"}                     | unknown_type",
            "{\"type\":\"send\",\"conv\":\"r:lobby\",\"body\":\"x\"} | bad_request",
            "{\"type\":\"send\",\"cmid\":\"c\",\"conv\":\"r:lobby\"} | bad_request",
            "{\"type\":\"send\",\"cmid\":\"c\",\"conv\":{\"$gt\":\"\"},\"body\":\"x\"} | bad_request",
            "{\"type\":\"send\",\"cmid\":\"c\",\"conv\":\"lobby\",\"body\":\"x\"} | bad_request",
            "{\"type\":\"send\",\"cmid\":\"a b\",\"conv\":\"r:lobby\",\"body\":\"x\"} | bad_request",
            "{\"type\":\"sync\",\"convs\":{}}                      | bad_request",
            "{\"type\":\"sync\",\"convs\":{\"r:lobby\":\"3\"}}     | bad_request",
            "{\"type\":\"sync\",\"convs\":{\"r:lobby\":-1}}        | bad_request",
            "{\"type\":\"join\",\"conv\":\"r:../x\"}               | bad_request",
            "{\"type\":\"ping\"} {\"type\":\"ping\"}               | bad_request",
            "{\"type\":7}                                          | unknown_type",
            "{\"type\":\"send\",\"cmid\":\"c\",\"body\":\"x\"}     | bad_request",
            "{\"type\":\"send\",\"cmid\":\"c\",\"conv\":\"r:lobby\",\"to\":\"u1\",\"body\":\"x\"} | bad_request",
            "{\"type\":\"send\",\"cmid\":\"c\",\"to\":{\"$ne\":1},\"body\":\"x\"} | bad_request",
            "{\"type\":\"send\",\"cmid\":\"c\",\"to\":\"u:1\",\"body\":\"x\"} | bad_request",
            "{\"type\":\"read\",\"conv\":\"r:lobby\"}              | bad_request",
            "{\"type\":\"read\",\"conv\":\"r:lobby\",\"seq\":-1}     | bad_request",
            "{\"type\":\"recall\",\"conv\":\"r:lobby\",\"seq\":0}     | bad_request",
            "{\"type\":\"status\",\"user\":\"\"}                    | bad_request",
            "{\"type\":\"pairRequest\"}                           | bad_request",
            "{\"type\":\"pairAccept\",\"from\":\"../x\"}            | bad_request",
            "{\"type\":\"pairLeave\",\"conv\":\"p:a.b\"}            | bad_request",
            "{\"type\":\"send\",\"cmid\":\"c\",\"conv\":\"r:x\",\"kind\":\"video\",\"media\":\"m1\"} | bad_request",
            "{\"type\":\"send\",\"cmid\":\"c\",\"conv\":\"r:x\",\"kind\":\"image\"} | bad_request",
            "{\"type\":\"send\",\"cmid\":\"c\",\"conv\":\"r:x\",\"kind\":\"image\",\"media\":\"../etc\"} | bad_request",
            "{\"type\":\"send\",\"cmid\":\"c\",\"conv\":\"r:x\",\"kind\":\"image\",\"media\":{\"$ne\":1}} | bad_request",
            "{\"type\":\"send\",\"cmid\":\"c\",\"conv\":\"r:x\",\"kind\":\"image\",\"media\":\"m1\",\"body\":\"x\"} | bad_request",
            "{\"type\":\"send\",\"cmid\":\"c\",\"conv\":\"r:x\",\"kind\":\"image\",\"media\":\"m1\",\"duration\":5} | bad_request",
            "{\"type\":\"send\",\"cmid\":\"c\",\"conv\":\"r:x\",\"kind\":\"audio\",\"media\":\"m1\"} | bad_request",
            "{\"type\":\"send\",\"cmid\":\"c\",\"conv\":\"r:x\",\"kind\":\"audio\",\"media\":\"m1\",\"duration\":0} | bad_request",
            "{\"type\":\"send\",\"cmid\":\"c\",\"conv\":\"r:x\",\"kind\":\"audio\",\"media\":\"m1\",\"duration\":600001} | bad_request",
            "{\"type\":\"send\",\"cmid\":\"c\",\"conv\":\"r:x\",\"body\":\"x\",\"media\":\"m1\"} | bad_request",
    })
    void rejectsInvalidFrames_withTheDocumentedCode(String json, String code) {
        assertThatThrownBy(() -> codec.decodeClient(json))
                .isInstanceOfSatisfying(ProtocolException.class, e -> assertThat(e.code().wire()).isEqualTo(code));
    }

    @Test
    void rejectsDeepNesting() {
        String deep = "{\"type\":\"ping\",\"x\":" + "[".repeat(100) + "]".repeat(100) + "}";
        assertThatThrownBy(() -> codec.decodeClient(deep))
                .isInstanceOfSatisfying(ProtocolException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST));
    }

    @Test
    void rejectsTooLongBody_asTooLarge() {
        String json = "{\"type\":\"send\",\"cmid\":\"c\",\"conv\":\"r:lobby\",\"body\":\"" + "x".repeat(ClientFrame.MAX_BODY_CHARS + 1) + "\"}";
        assertThatThrownBy(() -> codec.decodeClient(json))
                .isInstanceOfSatisfying(ProtocolException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.TOO_LARGE));
    }

    @Test
    void errorMessages_neverEchoTheInput() {
        String secret = "secret-token-value";
        assertThatThrownBy(() -> codec.decodeClient("{\"type\":\"send\",\"body\":" + secret + "}"))
                .isInstanceOfSatisfying(ProtocolException.class, e -> assertThat(e.getMessage()).doesNotContain(secret));
    }

    @Test
    void encodesServerFrames_withTypeFirst_andWithoutNulls() {
        String json = codec.encode(new ServerFrame.Ack(null, "c1", "r:lobby", 7, "m1", 1000));
        assertThat(json).isEqualTo("{\"type\":\"ack\",\"cmid\":\"c1\",\"conv\":\"r:lobby\",\"seq\":7,\"id\":\"m1\",\"ts\":1000}");
    }

    @Test
    void encodesASyncErrorWithItsConversation_andAnyOtherErrorWithout() {
        assertThat(codec.encode(ServerFrame.Error.ofConversation("s1", "r:x", ErrorCode.NOT_FOUND, "no such conversation")))
                .isEqualTo("{\"type\":\"error\",\"rid\":\"s1\",\"conv\":\"r:x\",\"code\":\"not_found\","
                        + "\"message\":\"no such conversation\",\"retry\":false}");
        assertThat(codec.encode(ServerFrame.Error.of("s1", null, ErrorCode.UNAVAILABLE, "later")))
                .isEqualTo("{\"type\":\"error\",\"rid\":\"s1\",\"code\":\"unavailable\",\"message\":\"later\",\"retry\":true}");
    }

    @Test
    void roundTripsEveryServerFrame() {
        UserRef alice = new UserRef("u1", "Alice", null);
        ServerFrame.Message message = new ServerFrame.Message("r:lobby", 1, "m1", alice, "c1", "text", "hi", 5);
        List<ServerFrame> frames = List.of(
                new ServerFrame.Welcome(alice, List.of(new ServerFrame.ConversationInfo("r:lobby", "Lobby", 3, 2)), 25),
                new ServerFrame.Pong("r", 1),
                new ServerFrame.Ack("r", "c1", "r:lobby", 1, "m1", 5),
                message,
                new ServerFrame.Synced("r", "r:lobby", List.of(message), true),
                new ServerFrame.Rooms("r", List.of(new ServerFrame.RoomInfo("r:lobby", "Lobby", 2, true))),
                new ServerFrame.Joined("r", "r:x", "X", 1, 0),
                new ServerFrame.Left("r", "r:x"),
                new ServerFrame.Members("r", "r:x", List.of(alice)),
                new ServerFrame.MemberJoined("r:x", alice, 1),
                new ServerFrame.MemberLeft("r:x", alice, 0),
                new ServerFrame.Presence("r:x", alice, "online", 1),
                new ServerFrame.Message("d:x", 2, "m2", alice, "c2", "text", null, 6, true, null),
                new ServerFrame.Message("r:x", 3, "m3", alice, "c3", "image", null, 7, null, new ServerFrame.Media("md1", "image/png", 1234, 640, 480, null, "/api/media/md1?exp=1&sig=s", "/api/media/md1?v=thumb&exp=1&sig=t", 1000L)),
                new ServerFrame.Welcome(alice, List.of(new ServerFrame.ConversationInfo("d:x", "Bob", 3, 0, alice, null),
                        new ServerFrame.ConversationInfo("p:x", "Bob", 1, 0, alice, true)), 25),
                new ServerFrame.ReadMark("r", "d:x", 2, 1),
                new ServerFrame.Typing("d:x", alice),
                new ServerFrame.Recalled("r", "d:x", 2, "m2", "u1"),
                new ServerFrame.Status("r", alice, "offline", 7L),
                new ServerFrame.PairRequestSent("r", alice, 9),
                new ServerFrame.PairRequested(alice, 9),
                new ServerFrame.PairRequests("r", List.of(new ServerFrame.PendingRequest(alice, 9))),
                new ServerFrame.PairRequestClosed(null, "u1", "u2", "expired"),
                new ServerFrame.PairStarted("r", "p:x", alice),
                new ServerFrame.PairEnded(null, "p:x", "u2", "peer_offline"),
                ServerFrame.Error.of("r", "c1", ErrorCode.NOT_FOUND, "no such conversation"),
                ServerFrame.Error.ofConversation("r", "d:x", ErrorCode.UNAVAILABLE, "not read"));
        for (ServerFrame frame : frames) {
            assertThat(codec.decodeServer(codec.encode(frame))).isEqualTo(frame);
        }
    }

    @Test
    void roundTripsEnvelopes() {
        UserRef bob = new UserRef("u2", "Bob", "https://a/b.png");
        Command command = new Command(Command.Event.FRAME, "gw1", "c9", 4, bob, new ClientFrame.Join("r", "r:lobby"));
        assertThat(codec.read(codec.write(command), Command.class)).isEqualTo(command);
        NodeMessage node = NodeMessage.subscribe("u2", List.of("r:lobby"), "c9", 4, List.of("{\"type\":\"joined\"}"));
        assertThat(codec.read(codec.write(node), NodeMessage.class)).isEqualTo(node);
        // ref 0 (no command to complete): a subscription change for other devices, frames for a user
        NodeMessage change = NodeMessage.subscribe("u2", List.of("r:x"), null, 0, List.of());
        assertThat(codec.read(codec.write(change), NodeMessage.class)).isEqualTo(change);
        NodeMessage toUser = NodeMessage.toUser("u2", "c9", List.of("{\"type\":\"typing\"}"));
        assertThat(codec.read(codec.write(toUser), NodeMessage.class)).isEqualTo(toUser);
    }

    @Test
    void nodeMessage_seqsGoOnlyWhenStated_andAMessageWithoutThemReadsAsNone() {
        NodeMessage stated = NodeMessage.subscribe("u2", List.of("r:lobby"), "c9", 4, List.of("{\"type\":\"welcome\"}"),
                java.util.Map.of("r:lobby", 41L));
        assertThat(codec.write(stated)).contains("\"seqs\":{\"r:lobby\":41}");
        assertThat(codec.read(codec.write(stated), NodeMessage.class)).isEqualTo(stated);

        NodeMessage plain = NodeMessage.subscribe("u2", List.of("r:lobby"), "c9", 4, List.of("{\"type\":\"joined\"}"));
        assertThat(codec.write(plain)).doesNotContain("seqs"); // as before the field existed
        assertThat(codec.read("{\"kind\":\"SUBSCRIBE\",\"conn\":\"c9\",\"user\":\"u2\",\"ref\":4}", NodeMessage.class)
                .seqs()).isEmpty();
    }

    @Test
    void nodeMessage_framesForTheUsersOtherConnectionsGoOnlyWhenStated_andAMessageWithoutThemReadsAsNone() {
        NodeMessage join = NodeMessage.subscribe("u2", List.of("r:x"), "c9", 4, List.of("{\"type\":\"joined\",\"rid\":\"j1\"}"),
                java.util.Map.of("r:x", 3L), List.of("{\"type\":\"joined\"}"));
        assertThat(codec.write(join)).contains("\"others\":[\"{\\\"type\\\":\\\"joined\\\"}\"]");
        assertThat(codec.read(codec.write(join), NodeMessage.class)).isEqualTo(join);

        NodeMessage plain = NodeMessage.subscribe("u2", List.of("r:x"), "c9", 4, List.of("{\"type\":\"joined\"}"),
                java.util.Map.of("r:x", 3L));
        assertThat(codec.write(plain)).doesNotContain("others"); // as before the field existed
        assertThat(codec.read("{\"kind\":\"SUBSCRIBE\",\"conn\":\"c9\",\"user\":\"u2\",\"ref\":4}", NodeMessage.class)
                .others()).isEmpty();
    }

    @Test
    void nodeMessage_theLeaveCounterGoesOnlyWhenStated_andAMessageWithoutItReadsAsNotStated() {
        NodeMessage welcome = NodeMessage.welcome("u2", List.of("r:lobby"), "c9", 1, List.of("{\"type\":\"welcome\"}"),
                java.util.Map.of(), 7);
        assertThat(codec.write(welcome)).contains("\"leaves\":7");
        assertThat(codec.read(codec.write(welcome), NodeMessage.class)).isEqualTo(welcome);
        NodeMessage none = NodeMessage.welcome("u2", List.of("r:lobby"), "c9", 1, List.of(), java.util.Map.of(), 0);
        assertThat(codec.read(codec.write(none), NodeMessage.class).leaves()).as("0 is stated, not dropped").isEqualTo(0L);
        NodeMessage leave = NodeMessage.unsubscribe("u2", List.of("r:x"), null, 0, List.of(), 3);
        assertThat(codec.read(codec.write(leave), NodeMessage.class).leaves()).isEqualTo(3L);

        NodeMessage plain = NodeMessage.unsubscribe("u2", List.of("r:x"), null, 0, List.of());
        assertThat(codec.write(plain)).doesNotContain("leaves"); // as before the field existed
        assertThat(codec.read("{\"kind\":\"UNSUBSCRIBE\",\"user\":\"u2\",\"ref\":0}", NodeMessage.class).leaves()).isNull();
    }

    @Test
    void recoversRidAndCmid_ofAnInvalidFrame_onlyWhenTheyAreValidIds() {
        String tooLong = "{\"type\":\"send\",\"rid\":\"r1\",\"cmid\":\"c1\",\"conv\":\"r:lobby\",\"body\":\"" + "x".repeat(5000) + "\"}";
        assertThat(codec.idsOf(tooLong)).isEqualTo(new FrameCodec.FrameIds("r1", "c1"));
        assertThat(codec.idsOf("{\"rid\":{\"$ne\":1},\"cmid\":\"bad id\"}")).isEqualTo(new FrameCodec.FrameIds(null, null));
        assertThat(codec.idsOf("not json")).isEqualTo(new FrameCodec.FrameIds(null, null));
    }

    @Test
    void errorFrame_carriesRetryFromTheCode() {
        assertThat(ServerFrame.Error.of(null, null, ErrorCode.UNAVAILABLE, "x").retry()).isTrue();
        assertThat(ServerFrame.Error.of(null, null, ErrorCode.NOT_FOUND, "x").retry()).isFalse();
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {
            "{\"type\":\"ping\",\"rid\":5}",
            "{\"type\":\"ping\",\"rid\":true}",
            "{\"type\":\"ping\",\"rid\":1.5}",
            "{\"type\":\"send\",\"cmid\":\"a\",\"conv\":\"r:lobby\",\"body\":5}",
            "{\"type\":\"send\",\"cmid\":7,\"conv\":\"r:lobby\",\"body\":\"x\"}",
            "{\"type\":\"read\",\"conv\":\"r:lobby\",\"seq\":5.5}",
            "{\"type\":\"recall\",\"conv\":\"r:lobby\",\"seq\":1e3}",
            "{\"type\":\"read\",\"conv\":\"r:lobby\",\"seq\":true}",
            "{\"type\":\"read\",\"conv\":\"r:lobby\",\"seq\":\"5\"}",
            "{\"type\":\"sync\",\"convs\":{\"r:lobby\":1},\"limit\":2.5}",
            "{\"type\":\"ping\",\"type\":\"send\"}",
            "{\"type\":\"ping\",\"rid\":\"a\",\"rid\":\"b\"}",
            "null"})
    void refusesWrongTypesDuplicateKeysAndNull_insteadOfConvertingThem(String json) {
        assertThatThrownBy(() -> codec.decodeClient(json)).isInstanceOf(ProtocolException.class)
                .extracting(e -> ((ProtocolException) e).code()).isEqualTo(ErrorCode.BAD_REQUEST);
    }

    @Test
    void namesTheOffendingField_withoutClassNamesOrClientKeys() {
        assertThatThrownBy(() -> codec.decodeClient("{\"type\":\"read\",\"conv\":\"r:lobby\",\"seq\":\"5\"}"))
                .hasMessage("malformed frame at seq");
        assertThatThrownBy(() -> codec.decodeClient("{\"type\":\"sync\",\"convs\":{\"$where\":\"x\"}}"))
                .hasMessage("malformed frame at convs.?");
    }
}
