package io.wxim.launcher;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * A deterministic (seeded) corpus of bad client frames, each with the answer docs/protocol.md documents for it:
 * malformed JSON, a wrong JSON type in every field of every command, unknown types, deep nesting, NoSQL operators and
 * malformed, over-long or control-character ids, over-limit values, binary frames; plus valid frames that claim
 * another identity (answered like any valid send: the server sets the sender). Frames that close the connection
 * (oversized, invalid UTF-8) are listed separately.
 */
final class BadInputCorpus {
    /** What the server answers to one frame sent on an open connection. */
    enum Answer { ERROR, ACK }

    /**
     * @param text   the frame (a text frame, or the bytes of a binary frame when {@code binary})
     * @param code   the expected error code ({@link Answer#ERROR})
     * @param rid    the rid the error must echo, null when the frame has no valid one
     * @param cmid   the cmid the error or ack must carry, null when none is valid
     */
    record Case(String label, String text, boolean binary, Answer answer, String code, String rid, String cmid) {
    }

    /** A frame that must close the connection with {@code closeCode}. */
    record Closing(String label, byte[] payload, boolean text, int closeCode) {
    }

    private static final String[] KNOWN_TYPES = {"ping", "send", "sync", "rooms", "create", "join", "leave", "members",
        "read", "typing", "recall", "status", "pairRequest", "pairCancel", "pairPending", "pairAccept", "pairDecline",
        "pairLeave", "auth", "secure"};
    /** JSON values of the wrong type for any field (strings are the right type for most; see {@link #WRONG_FOR_NUMBERS}). */
    private static final String[] WRONG_FOR_STRINGS = {"5", "-1", "1.5", "1e3", "true", "false", "[]", "[\"r:lobby\"]", "{}",
        "{\"$gt\":\"\"}", "{\"$ne\":null}", "{\"$where\":\"sleep(1000)\"}", "{\"$regex\":\".*\"}"};
    private static final String[] WRONG_FOR_NUMBERS = {"\"5\"", "\"\"", "1.5", "1e3", "true", "[]", "[1]", "{}", "{\"$gt\":0}",
        "{\"$ne\":null}", "99999999999999999999999"};
    private static final String[] WRONG_FOR_MAPS = {"\"r:lobby\"", "5", "true", "[]", "[\"r:lobby\"]", "{\"r:lobby\":\"0\"}",
        "{\"r:lobby\":{\"$gt\":0}}", "{\"r:lobby\":1.5}", "{\"r:lobby\":true}"};
    /** Strings that are no valid conversation id (all refused by the id rules, so nothing reaches a store). */
    static final String[] BAD_CONVS = {"$where", "r:$where", "r:$gt", "$gt", "{\"$ne\":null}", "r:lobby' || '1'=='1",
        "r:lobby\u0000", "r:lob by", "r:../../etc/passwd", "x:lobby", "r:", "r", "", " r:lobby", "r:lobby ",
        "r:" + "a".repeat(65), "d:" + "f".repeat(65), "p:" + "z".repeat(100), "r:\u202egol", "r:lobby\n", "r:lobby\u0007",
        "r:%24where", "r:lobby;drop", "r:\uD83D\uDE00", "R:lobby", "r:l\\obby"};
    static final String[] BAD_USERS = {"$where", "{\"$ne\":null}", "u" + "a".repeat(32), "", "u 1", "u\u0000", "u\n1",
        "../u1", "u1'--", "$gt"};
    static final String[] BAD_CLIENT_IDS = {"a".repeat(65), "", "a b", "a\u0000", "a\u0007b", "$where{}", "a/b", "é", "a\nb"};

    private final Random random;
    private int counter;

    BadInputCorpus(long seed) {
        this.random = new Random(seed);
    }

    private String rid() {
        return "b" + (counter++);
    }

    private static String q(String s) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }

    /** A valid frame of each type with placeholders: field -> JSON value; "rid" is added by the caller. */
    private static Map<String, Map<String, String>> validFrames() {
        Map<String, Map<String, String>> frames = new LinkedHashMap<>();
        frames.put("ping", Map.of());
        frames.put("send", ordered("cmid", "\"c1\"", "conv", "\"r:nosuchroomzz\"", "body", "\"hi\""));
        frames.put("sendTo", ordered("cmid", "\"c1\"", "to", "\"unosuchuserzz\"", "body", "\"hi\""));
        frames.put("sendAudio", ordered("cmid", "\"c1\"", "conv", "\"r:nosuchroomzz\"", "kind", "\"audio\"", "media", "\"m1\"", "duration", "1000"));
        frames.put("sync", ordered("convs", "{\"r:nosuchroomzz\":0}", "limit", "10"));
        frames.put("rooms", Map.of());
        frames.put("create", ordered("name", "\"room\""));
        for (String t : new String[] {"join", "leave", "members", "typing", "pairLeave"}) {
            frames.put(t, ordered("conv", "\"r:nosuchroomzz\""));
        }
        frames.put("read", ordered("conv", "\"r:nosuchroomzz\"", "seq", "1"));
        frames.put("recall", ordered("conv", "\"r:nosuchroomzz\"", "seq", "1"));
        frames.put("status", ordered("user", "\"unosuchuserzz\""));
        frames.put("pairRequest", ordered("to", "\"unosuchuserzz\""));
        frames.put("pairCancel", ordered("to", "\"unosuchuserzz\""));
        frames.put("pairPending", Map.of());
        frames.put("pairAccept", ordered("from", "\"unosuchuserzz\""));
        frames.put("pairDecline", ordered("from", "\"unosuchuserzz\""));
        frames.put("auth", ordered("token", "\"eyJhbGciOiJub25lIn0.e30.\""));
        frames.put("secure", ordered("kid", "\"k1\"", "key", "\"AAAA\""));
        return frames;
    }

    private static Map<String, String> ordered(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    private static String wireType(String name) {
        return name.startsWith("send") ? "send" : name;
    }

    private static String frame(String type, String rid, Map<String, String> fields) {
        StringBuilder json = new StringBuilder("{\"type\":").append(q(type));
        if (rid != null) {
            json.append(",\"rid\":").append(q(rid));
        }
        fields.forEach((k, v) -> json.append(',').append(q(k)).append(':').append(v));
        return json.append('}').toString();
    }

    private static final Set<String> NUMBER_FIELDS = Set.of("seq", "limit", "duration");

    /** Every frame answered on an open connection, shuffled (deterministically). */
    List<Case> openConnectionCases(String ownRoom, String ownUserId, String victimId) {
        List<Case> cases = new ArrayList<>();
        Map<String, Map<String, String>> valid = validFrames();
        // 1. a wrong JSON type in every field of every command (rid included)
        for (var entry : valid.entrySet()) {
            String type = wireType(entry.getKey());
            List<String> fields = new ArrayList<>(entry.getValue().keySet());
            fields.add(0, "rid");
            for (String field : fields) {
                String[] wrong = field.equals("convs") ? WRONG_FOR_MAPS : NUMBER_FIELDS.contains(field) ? WRONG_FOR_NUMBERS : WRONG_FOR_STRINGS;
                for (String value : wrong) {
                    String rid = rid();
                    Map<String, String> f = new LinkedHashMap<>(entry.getValue());
                    // a number too long to read makes the frame unreadable JSON: nothing can be echoed
                    boolean unreadable = value.matches("\\d{21,}");
                    String echoed = unreadable ? null : rid;
                    if (field.equals("rid")) {
                        echoed = null;
                        f.put("rid", value);
                    } else {
                        f.put(field, value);
                    }
                    String cmid = f.containsKey("cmid") && !field.equals("cmid") && !unreadable ? "c1" : null;
                    String text = field.equals("rid") ? frame(type, null, f) : frame(type, rid, f);
                    cases.add(new Case("wrong type " + entry.getKey() + "." + field + "=" + value, text, false, Answer.ERROR,
                            "bad_request", echoed, cmid));
                }
            }
        }
        // 2. malformed, over-long and operator-carrying ids in every id field
        for (String conv : BAD_CONVS) {
            for (String type : new String[] {"send", "join", "leave", "members", "read", "typing", "recall", "pairLeave"}) {
                String rid = rid();
                Map<String, String> f = new LinkedHashMap<>(valid.get(type));
                f.put("conv", q(conv));
                cases.add(new Case("bad conv " + type + " " + conv, frame(type, rid, f), false, Answer.ERROR, "bad_request", rid,
                        type.equals("send") ? "c1" : null));
            }
            String rid = rid();
            cases.add(new Case("bad conv sync " + conv, frame("sync", rid, ordered("convs", "{" + q(conv) + ":0}")), false,
                    Answer.ERROR, "bad_request", rid, null));
        }
        for (String user : BAD_USERS) {
            for (String[] tf : new String[][] {{"sendTo", "to"}, {"status", "user"}, {"pairRequest", "to"}, {"pairCancel", "to"},
                {"pairAccept", "from"}, {"pairDecline", "from"}}) {
                String rid = rid();
                Map<String, String> f = new LinkedHashMap<>(valid.get(tf[0]));
                f.put(tf[1], q(user));
                cases.add(new Case("bad user " + tf[0] + " " + user, frame(wireType(tf[0]), rid, f), false, Answer.ERROR,
                        "bad_request", rid, tf[0].equals("sendTo") ? "c1" : null));
            }
        }
        for (String id : BAD_CLIENT_IDS) {
            cases.add(new Case("bad rid " + id, frame("ping", null, ordered("rid", q(id))), false, Answer.ERROR, "bad_request", null, null));
            String rid = rid();
            cases.add(new Case("bad cmid " + id, frame("send", rid, ordered("cmid", q(id), "conv", q(ownRoom), "body", "\"x\"")),
                    false, Answer.ERROR, "bad_request", rid, null));
        }
        // 3. unknown types (never one of the known ones), and a type that is missing or not a string
        for (int i = 0; i < 300; i++) {
            String type = randomName(1 + random.nextInt(30));
            if (Set.of(KNOWN_TYPES).contains(type)) {
                continue;
            }
            String rid = rid();
            cases.add(new Case("unknown type " + type, frame(type, rid, Map.of()), false, Answer.ERROR, "unknown_type", rid, null));
        }
        for (String type : new String[] {"PING", "Ping", "ping ", " send", "send\u0000", "$where", "__proto__", "constructor",
            "message", "ack", "welcome", "error", "sec", "admin", "ban"}) {
            String rid = rid();
            cases.add(new Case("unknown type " + type, frame(type, rid, Map.of()), false, Answer.ERROR, "unknown_type", rid, null));
        }
        cases.add(new Case("no type with rid", "{\"rid\":\"x1\"}", false, Answer.ERROR, "bad_request", "x1", null));
        for (String text : new String[] {"{}", "{\"type\":null}", "{\"type\":[\"ping\"]}", "{\"type\":{\"$ne\":null}}",
            "{\"Type\":\"ping\"}"}) {
            cases.add(new Case("no type " + text, text, false, Answer.ERROR, "bad_request", null, null));
        }
        // 4. malformed JSON: fixed shapes, and every proper prefix of a few valid frames
        for (String text : new String[] {"this is not json", "null", "true", "5", "\"ping\"", "[]", "[{\"type\":\"ping\"}]",
            "{'type':'ping'}", "{type:\"ping\"}", "{\"type\":\"ping\",}", "{\"type\":\"ping\"}}", "{\"type\":\"ping\"} {}",
            "{\"type\":\"ping\"}/*c*/", "{\"type\":\"ping\",\"rid\":NaN}", "{\"type\":\"ping\",\"rid\":\"a\",\"rid\":\"b\"}",
            "{\"type\":\"ping\",\"type\":\"send\"}", "{\"type\":\"ping\"\u0000}", "{\"type\":\"pi\u0001ng\"}", " ", "\n",
            "{\"type\":\"send\",\"cmid\":\"c9\",\"conv\":\"r:lobby\",\"body\":\"raw\u0001control\"}",
            "{\"type\":\"ping\",\"rid\":\"\\ud800\"}"}) {
            cases.add(new Case("malformed " + text, text, false, Answer.ERROR, "bad_request", null, null));
        }
        for (String base : new String[] {frame("send", "p1", ordered("cmid", "\"c1\"", "conv", q(ownRoom), "body", "\"truncated\"")),
            frame("sync", "p2", ordered("convs", "{\"r:lobby\":0}")),
            frame("read", "p3", ordered("conv", q(ownRoom), "seq", "1")),
            frame("create", "p4", ordered("name", "\"a room name\"")),
            frame("send", "p5", ordered("cmid", "\"c5\"", "to", q(victimId), "kind", "\"audio\"", "media", "\"m1\"", "duration", "100"))}) {
            for (int cut = 1; cut < base.length(); cut += 1 + random.nextInt(3)) {
                cases.add(new Case("prefix " + cut, base.substring(0, cut), false, Answer.ERROR, "bad_request", null, null));
            }
        }
        for (int i = 0; i < 200; i++) { // printable garbage that is never JSON (starts with a letter other than t/f/n)
            StringBuilder garbage = new StringBuilder("x");
            int length = 1 + random.nextInt(200);
            for (int j = 0; j < length; j++) {
                garbage.append((char) (0x21 + random.nextInt(0x5e)));
            }
            cases.add(new Case("garbage", garbage.toString(), false, Answer.ERROR, "bad_request", null, null));
        }
        // 5. deep nesting (the codec stops at 16 levels; 10k levels is 20 KB, under the frame limit)
        for (int depth : new int[] {17, 100, 1000, 10_000, 30_000}) {
            cases.add(new Case("deep arrays " + depth, "[".repeat(depth) + "]".repeat(depth), false, Answer.ERROR, "bad_request", null, null));
            cases.add(new Case("deep field " + depth, "{\"type\":\"ping\",\"rid\":\"deep\",\"x\":" + "[".repeat(depth) + "]".repeat(depth) + "}",
                    false, Answer.ERROR, "bad_request", null, null));
            if (depth <= 10_000) { // 6 bytes a level: deeper would be over the frame limit
                cases.add(new Case("deep objects " + depth, "{\"a\":".repeat(depth) + "1" + "}".repeat(depth), false, Answer.ERROR,
                        "bad_request", null, null));
            }
            cases.add(new Case("deep unclosed " + depth, "{\"type\":\"send\",\"x\":" + "[".repeat(depth), false, Answer.ERROR,
                    "bad_request", null, null));
        }
        // 6. values over their documented limits (too_large), answered without closing
        String rid = rid();
        cases.add(new Case("body 4001", frame("send", rid, ordered("cmid", "\"big1\"", "conv", q(ownRoom), "body", q("y".repeat(4001)))),
                false, Answer.ERROR, "too_large", rid, "big1"));
        rid = rid();
        cases.add(new Case("body 4001 emoji", frame("send", rid, ordered("cmid", "\"big2\"", "conv", q(ownRoom), "body",
                q("\uD83D\uDE00".repeat(4001)))), false, Answer.ERROR, "too_large", rid, "big2"));
        rid = rid();
        cases.add(new Case("room name 65", frame("create", rid, ordered("name", q("n".repeat(65)))), false, Answer.ERROR, "too_large", rid, null));
        StringBuilder convs = new StringBuilder("{");
        for (int i = 0; i < 101; i++) {
            convs.append(i == 0 ? "" : ",").append(q("r:room" + i)).append(":0");
        }
        rid = rid();
        cases.add(new Case("sync 101", frame("sync", rid, ordered("convs", convs + "}")), false, Answer.ERROR, "too_large", rid, null));
        rid = rid();
        cases.add(new Case("token 4097", frame("auth", rid, ordered("token", q("t".repeat(4097)))), false, Answer.ERROR, "too_large", rid, null));
        // 7. binary frames where text is expected (random bytes, and a valid frame sent as binary)
        for (int i = 0; i < 20; i++) {
            byte[] bytes = new byte[1 + random.nextInt(300)];
            random.nextBytes(bytes);
            cases.add(new Case("binary random", new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1), true, Answer.ERROR,
                    "bad_request", null, null));
        }
        cases.add(new Case("binary frame", frame("ping", "bin", Map.of()), true, Answer.ERROR, "bad_request", null, null));
        // 8. valid sends that claim another identity or carry control characters: stored, with the server's sender
        String[] claims = {"\"from\":" + q(victimId), "\"from\":{\"id\":" + q(victimId) + ",\"nickname\":\"Victim\"}", "\"user\":" + q(victimId),
            "\"uid\":" + q(victimId), "\"senderId\":" + q(victimId), "\"sender\":" + q(victimId), "\"userId\":" + q(victimId),
            "\"seq\":1", "\"id\":\"000000000000000000000000\"", "\"ts\":1", "\"serverTime\":1", "\"from\":{\"$ne\":null}"};
        for (int i = 0; i < claims.length; i++) {
            String cmid = "claim" + i;
            cases.add(new Case("claim " + claims[i], "{\"type\":\"send\",\"cmid\":\"" + cmid + "\",\"conv\":" + q(ownRoom)
                    + ",\"body\":\"claim\"," + claims[i] + "}", false, Answer.ACK, null, null, cmid));
        }
        String[] controlBodies = {"\u0000", "a\u0001b", "\u0007bell", "tab\there", "line\nbreak", "\u001b[31mred", "\u007f", "x\u0085y"};
        for (int i = 0; i < controlBodies.length; i++) {
            String cmid = "ctl" + i;
            cases.add(new Case("control body " + i, frame("send", null, ordered("cmid", q(cmid), "conv", q(ownRoom), "body", q(controlBodies[i]))),
                    false, Answer.ACK, null, null, cmid));
        }
        java.util.Collections.shuffle(cases, random);
        return cases;
    }

    /** Frames that must close their connection: oversized (1009) and invalid UTF-8 in a text frame (1007). */
    List<Closing> closingCases() {
        List<Closing> cases = new ArrayList<>();
        byte[] big = ("{\"type\":\"ping\",\"pad\":\"" + "z".repeat(64 * 1024) + "\"}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        cases.add(new Closing("just over 64 KB", big, true, 1009));
        cases.add(new Closing("1 MB", new byte[1 << 20], true, 1009));
        // fewer than 64K characters, more than 64 KB of UTF-8
        cases.add(new Closing("64 KB of two-byte chars", ("{\"type\":\"send\",\"cmid\":\"c\",\"conv\":\"r:lobby\",\"body\":\""
                + "é".repeat(33_000) + "\"}").getBytes(java.nio.charset.StandardCharsets.UTF_8), true, 1009));
        cases.add(new Closing("binary over 64 KB", new byte[70_000], false, 1009));
        byte[][] invalid = {{(byte) 0xC0, (byte) 0x80}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, {(byte) 0xFF}, {(byte) 0xFE},
            {(byte) 0xE2, (byte) 0x82}, {(byte) 0xF0, (byte) 0x82, (byte) 0x82, (byte) 0xAC}, {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80},
            {(byte) 0x80}, {(byte) 0xC3}};
        for (byte[] bad : invalid) {
            byte[] head = "{\"type\":\"ping\",\"rid\":\"".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            byte[] tail = "\"}".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            byte[] payload = new byte[head.length + bad.length + tail.length];
            System.arraycopy(head, 0, payload, 0, head.length);
            System.arraycopy(bad, 0, payload, head.length, bad.length);
            System.arraycopy(tail, 0, payload, head.length + bad.length, tail.length);
            cases.add(new Closing("invalid UTF-8 " + java.util.HexFormat.of().formatHex(bad), payload, true, 1007));
        }
        return cases;
    }

    private String randomName(int length) {
        String alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$.-";
        StringBuilder name = new StringBuilder();
        for (int i = 0; i < length; i++) {
            name.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return name.toString();
    }
}
