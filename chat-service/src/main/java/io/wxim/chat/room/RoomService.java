package io.wxim.chat.room;

import io.wxim.chat.config.ChatProperties;
import io.wxim.protocol.Conversations;
import io.wxim.protocol.ErrorCode;
import io.wxim.protocol.ProtocolException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import org.springframework.dao.DuplicateKeyException;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.springframework.stereotype.Service;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Rooms and membership rules. The lobby ({@link Conversations#LOBBY}) is implicit: every signed-in user is a member
 * and it cannot be left. Other rooms are joined and left explicitly; membership is durable until left.
 */
@Service
public class RoomService {
    private static final char[] ID_CHARS = "abcdefghijkmnpqrstuvwxyz23456789".toCharArray();

    private final RoomRepository rooms;
    private final ChatProperties props;
    /** How long a {@code create}'s rid answers with the room it made (a retry). */
    static final Duration CREATE_RETRY_WINDOW = Duration.ofMinutes(10);

    private final Clock clock;
    private final KnownMembers known;
    private final RoomNames names = new RoomNames();
    private final SecureRandom random = new SecureRandom();

    public RoomService(RoomRepository rooms, ChatProperties props, Clock clock, KnownMembers known) {
        this.known = known;
        this.rooms = rooms;
        this.props = props;
        this.clock = clock;
    }

    /**
     * A joinable conversation: the lobby or an existing room. Emits the display name, or empty if there is none. A room
     * this instance has seen is not read again ({@link RoomNames}).
     */
    public Mono<String> nameOf(String conv) {
        if (Conversations.LOBBY.equals(conv)) {
            return Mono.just(props.lobbyName());
        }
        if (!Conversations.isRoom(conv)) {
            return Mono.empty();
        }
        String roomId = conv.substring(Conversations.ROOM_PREFIX.length());
        return Mono.defer(() -> {
            String known = names.get(roomId);
            return known != null ? Mono.just(known) : rooms.findRoom(roomId).map(room -> {
                names.put(room.id(), room.name());
                return room.name();
            });
        });
    }

    /** Whether the user is in the conversation: the lobby always, else a membership read recently ({@link KnownMembers}) or now. */
    public Mono<Boolean> isMember(String conv, String userId) {
        if (!Conversations.isValid(conv)) {
            return Mono.just(false);
        }
        if (Conversations.LOBBY.equals(conv)) {
            return Mono.just(true);
        }
        return Mono.defer(() -> {
            if (known.contains(conv, userId)) {
                return Mono.just(true);
            }
            long generation = known.generation(); // before the read: a leave during it keeps the answer out of the cache
            return rooms.isMember(conv, userId).doOnNext(member -> {
                if (member) {
                    known.remember(conv, userId, generation);
                }
            });
        });
    }

    /** Fails with NOT_FOUND unless the user is a member (non-members cannot tell a room exists). */
    public Mono<Void> requireMember(String conv, String userId) {
        return isMember(conv, userId)
                .flatMap(member -> member ? Mono.<Void>empty() : Mono.error(notFound()));
    }

    /** The lobby first, then the user's rooms in the order joined. */
    public Mono<List<String>> conversationsOf(String userId) {
        return Flux.concat(Mono.just(Conversations.LOBBY), rooms.roomsOf(userId)).distinct().collectList();
    }

    /**
     * What {@link #conversationsOf} and {@link #directsOf} return together, with when each room was joined: in one read
     * of the user's memberships when there are fewer than {@code maxRoomsPerUser + maxConversationsListed} of them (the
     * usual case; rooms are capped at {@code maxRoomsPerUser} when joined), else in two reads (the room memberships,
     * and the newest {@code maxConversationsListed} direct and pair ones).
     */
    public Mono<Memberships> membershipsOf(String userId) {
        int limit = props.maxRoomsPerUser() + props.maxConversationsListed();
        return rooms.membershipsOf(userId, limit).collectList().flatMap(all -> all.size() < limit
                ? Mono.just(Memberships.split(all, props.maxConversationsListed()))
                : Mono.zip(rooms.roomMembershipsOf(userId).collectList(), directsOf(userId)).map(t -> {
                    Memberships inRooms = Memberships.split(t.getT1(), 0);
                    return new Memberships(inRooms.rooms(), t.getT2(), inRooms.roomsJoinedAt());
                }));
    }

    /** The user's direct and pair conversations, newest first, at most {@code maxConversationsListed}. */
    public Mono<List<String>> directsOf(String userId) {
        return rooms.directsOf(userId, props.maxConversationsListed()).collectList();
    }

    /** Display names by conversation id, in the order given (unknown rooms omitted). */
    public Mono<Map<String, String>> names(Collection<String> convs) {
        List<String> roomIds = convs.stream().filter(c -> Conversations.isRoom(c) && !Conversations.LOBBY.equals(c))
                .map(c -> c.substring(Conversations.ROOM_PREFIX.length())).toList();
        Mono<Map<String, String>> stored = roomIds.isEmpty() ? Mono.just(Map.of()) // only the lobby: no query
                : rooms.findRooms(roomIds).collectMap(r -> Conversations.room(r.id()), Room::name);
        return stored.map(found -> {
            Map<String, String> names = new LinkedHashMap<>();
            for (String conv : convs) {
                String name = Conversations.LOBBY.equals(conv) ? props.lobbyName() : found.get(conv);
                if (name != null) {
                    names.put(conv, name);
                }
            }
            return names;
        });
    }

    /**
     * Creates a room and joins the creator. A retry is answered with the room it made: the room id is derived from the
     * creator, {@code rid}, the name and the {@link #CREATE_RETRY_WINDOW} it was made in, and a {@code create} first
     * looks for the room of the same creator, {@code rid} and name made less than a window ago or ahead (this window's,
     * the one before or the one after: chat instances' clocks may differ) that the creator is still a member of (a
     * lost answer); that is answered before the room limit. A room found that the creator has left since is not
     * rejoined: a new room is made (with a random id). After the window the same {@code rid} and name make a new room:
     * clients number their rids anew at each start, and a rid used again later must not put the user back into a room
     * they left. A create refused at the room limit after the creator's membership was inserted (the count after the
     * insert, {@link #withinRoomLimit}) removes it and deletes the room, then runs {@code undoRefused} with the room's
     * conversation before answering TOO_LARGE: a connect of the user's other device that read the memberships
     * meanwhile may have registered the user in the room, as for a refused join. (If that undo fails, the client's
     * retry is refused before anything is written, and nothing is undone: such a connection stays in the room until
     * its disconnect; architecture, "A join reads little".)
     */
    public Mono<Room> create(String name, String userId, String rid, Function<String, Mono<Void>> undoRefused) {
        long now = clock.millis();
        long window = now / CREATE_RETRY_WINDOW.toMillis();
        String id = rid == null ? newRoomId() : derivedRoomId(userId, rid, name, window);
        Mono<Room> retried = rid == null ? Mono.empty() : Flux.just(window, window - 1, window + 1)
                .concatMap(w -> made(derivedRoomId(userId, rid, name, w), userId, now))
                .next();
        return retried.map(Optional::of).defaultIfEmpty(Optional.empty())
                .flatMap(found -> found.isEmpty() ? fresh(new Room(id, name, userId, now))
                        : rooms.isMember(Conversations.room(found.get().id()), userId).flatMap(member -> member
                                ? Mono.just(found.get()) // the retry of a create whose answer was lost
                                : fresh(new Room(newRoomId(), name, userId, now)))) // left since: a new room
                .flatMap(r -> rooms.addMember(Conversations.room(r.id()), userId, clock.millis())
                        .flatMap(newly -> !newly ? Mono.<Void>empty() : withinRoomLimit(Conversations.room(r.id()), userId)
                                .onErrorResume(e -> e instanceof ProtocolException p && p.code() == ErrorCode.TOO_LARGE,
                                        // the room made for nothing goes, and the undo runs whatever its delete does
                                        e -> Mono.whenDelayError(rooms.deleteRoom(r.id()),
                                                        undoRefused.apply(Conversations.room(r.id())))
                                                .then(Mono.error(e))))
                        .thenReturn(r))
                .doOnNext(r -> names.put(r.id(), r.name()));
    }

    /**
     * The room {@code id} if {@code userId} made it less than a {@link #CREATE_RETRY_WINDOW} before {@code now} (or
     * "after" it: on an instance whose clock is ahead).
     */
    private Mono<Room> made(String id, String userId, long now) {
        return Mono.defer(() -> rooms.findRoom(id))
                .filter(r -> r.createdBy().equals(userId) && now - r.createdAt() < CREATE_RETRY_WINDOW.toMillis());
    }

    /** A new room, within the room limit. */
    private Mono<Room> fresh(Room room) {
        return requireRoomForMore(room.createdBy()).then(insert(room, room.createdBy()));
    }

    /** Inserts {@code room}; a concurrent retry's insert (the same derived id) answers with that room. */
    private Mono<Room> insert(Room room, String userId) {
        return rooms.insertRoom(room)
                .onErrorResume(DuplicateKeyException.class, e -> rooms.findRoom(room.id())
                        .filter(existing -> existing.createdBy().equals(userId))
                        .switchIfEmpty(Mono.error(new ProtocolException(ErrorCode.BAD_REQUEST, "choose another rid"))));
    }

    /** TOO_LARGE once the user is in {@code maxRoomsPerUser} rooms (the quick refusal before anything is written). */
    private Mono<Void> requireRoomForMore(String userId) {
        return rooms.countRoomMemberships(userId).flatMap(count -> count >= props.maxRoomsPerUser()
                ? Mono.error(roomLimitReached())
                : Mono.empty());
    }

    /**
     * After the user's membership of {@code conv} was added: TOO_LARGE, with that membership removed again, if the user
     * is now in more than {@code maxRoomsPerUser} rooms. The count before the insert alone let concurrent joins and
     * creates (several devices) each see room for one more and together pass the limit. Counting after the insert
     * cannot: of memberships added together, the last to count sees all of them, so the user never stays above the
     * limit (concurrent joins at its edge may all be refused, a retry then gets in).
     */
    private Mono<Void> withinRoomLimit(String conv, String userId) {
        return rooms.countRoomMemberships(userId).flatMap(count -> count <= props.maxRoomsPerUser() ? Mono.<Void>empty()
                : rooms.removeMember(conv, userId).then(known.ended(conv, userId)).then(Mono.error(roomLimitReached())));
    }

    private ProtocolException roomLimitReached() {
        return new ProtocolException(ErrorCode.TOO_LARGE, "room limit reached: " + props.maxRoomsPerUser());
    }

    /** A join's outcome: the room's name (read once, for the check and the answer) and whether it is a new membership. */
    public record Joined(String name, boolean newly) {
    }

    /**
     * Joins an existing room (already a member: not {@code newly}). NOT_FOUND if no such room, TOO_LARGE if the user is
     * in {@code maxRoomsPerUser} rooms already. One read of the user's rooms answers both "already a member?" and "room
     * for one more?"; the membership is then trusted for a while ({@link KnownMembers}), so the first messages after
     * a join need no read either.
     */
    public Mono<Joined> join(String conv, String userId) {
        if (Conversations.LOBBY.equals(conv)) {
            return Mono.just(new Joined(props.lobbyName(), false));
        }
        return nameOf(conv).switchIfEmpty(Mono.error(notFound())).flatMap(name -> {
            long generation = known.generation(); // before the read: a leave during the join keeps it out of the cache
            return rooms.roomsOf(userId, props.maxRoomsPerUser()).collectList()
                    .flatMap(mine -> mine.contains(conv) ? Mono.just(false) : joinOneMore(conv, userId, mine.size()))
                    .doOnNext(newly -> known.remember(conv, userId, generation))
                    .map(newly -> new Joined(name, newly));
        });
    }

    /** {@code held}: how many of the user's rooms a read limited to {@code maxRoomsPerUser} found (conv not among them). */
    private Mono<Boolean> joinOneMore(String conv, String userId, int held) {
        if (held < props.maxRoomsPerUser()) {
            return rooms.addMember(conv, userId, clock.millis())
                    .flatMap(newly -> newly ? withinRoomLimit(conv, userId).thenReturn(true) : Mono.just(false));
        }
        // at the limit, or beyond it after the limit was lowered: the limited read may have left this room out
        return rooms.isMember(conv, userId).flatMap(member -> member ? Mono.just(false) : Mono.error(roomLimitReached()));
    }

    /** Leaves a room. NOT_FOUND if not a member; BAD_REQUEST for the lobby, which everyone online is in. */
    public Mono<Void> leave(String conv, String userId) {
        if (Conversations.LOBBY.equals(conv)) {
            return Mono.error(new ProtocolException(ErrorCode.BAD_REQUEST, "the lobby cannot be left"));
        }
        if (!Conversations.isRoom(conv)) {
            return Mono.error(notFound()); // direct conversations are not left; pair sessions end with pairLeave
        }
        // dropped whatever the answer: a delete whose answer timed out may still have happened
        return rooms.removeMember(conv, userId)
                .onErrorResume(e -> known.ended(conv, userId).then(Mono.error(e)))
                .flatMap(removed -> known.ended(conv, userId).then(removed ? Mono.<Void>empty() : Mono.error(notFound())));
    }

    public Flux<Room> list() {
        return rooms.listRooms(props.maxRoomsListed() - 1);
    }

    public Mono<java.util.Set<String>> memberships(String userId) {
        return rooms.conversationsOf(userId).collect(java.util.stream.Collectors.toSet());
    }

    public static ProtocolException notFound() {
        return new ProtocolException(ErrorCode.NOT_FOUND, "no such conversation");
    }

    private static String derivedRoomId(String userId, String rid, String name, long window) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest((userId + "|" + rid + "|" + window + "|" + name).getBytes(StandardCharsets.UTF_8));
            char[] id = new char[12];
            for (int i = 0; i < id.length; i++) {
                id[i] = ID_CHARS[(digest[i] & 0xff) % ID_CHARS.length];
            }
            return new String(id);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is always available", e);
        }
    }

    private String newRoomId() {
        char[] id = new char[12];
        for (int i = 0; i < id.length; i++) {
            id[i] = ID_CHARS[random.nextInt(ID_CHARS.length)];
        }
        return new String(id);
    }
}
