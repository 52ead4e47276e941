package io.wxim.chat.read;

import io.wxim.chat.message.HistoryClient;
import io.wxim.chat.room.RoomService;
import io.wxim.chat.routing.Deliveries;
import io.wxim.protocol.ClientFrame;
import io.wxim.protocol.Command;
import io.wxim.protocol.ErrorCode;
import io.wxim.protocol.NodeMessage;
import io.wxim.protocol.ProtocolException;
import io.wxim.protocol.ServerFrame;
import java.util.List;
import org.springframework.stereotype.Service;
import reactor.core.publisher.Mono;

/**
 * Marking a conversation read. The new position goes to the requester as the reply and to the user's other devices
 * as a {@code read} event, so unread badges agree everywhere.
 */
@Service
public class ReadCommands {
    private final RoomService rooms;
    private final HistoryClient history;
    private final ReadCursorRepository cursors;
    private final Deliveries deliveries;

    public ReadCommands(RoomService rooms, HistoryClient history, ReadCursorRepository cursors, Deliveries deliveries) {
        this.rooms = rooms;
        this.history = history;
        this.cursors = cursors;
        this.deliveries = deliveries;
    }

    public Mono<NodeMessage> read(Command cmd, ClientFrame.Read frame) {
        String me = cmd.user().id();
        String conv = frame.conv();
        return rooms.requireMember(conv, me)
                .then(history.lastSeqs(List.of(conv)))
                .map(seqs -> seqs.getOrDefault(conv, 0L))
                .flatMap(last -> {
                    if (frame.seq() > last) {
                        return Mono.error(new ProtocolException(ErrorCode.BAD_REQUEST,
                                "seq is beyond the newest message (" + last + ")"));
                    }
                    return cursors.advance(conv, me, frame.seq()).flatMap(seq -> {
                        long unread = Math.max(0, last - seq);
                        return deliveries.toUser(me, cmd.conn(), List.of(new ServerFrame.ReadMark(null, conv, seq, unread)))
                                .thenReturn(deliveries.reply(cmd, new ServerFrame.ReadMark(frame.rid(), conv, seq, unread)));
                    });
                });
    }
}
