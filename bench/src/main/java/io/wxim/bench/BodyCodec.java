package io.wxim.bench;

/**
 * The message body the load generator sends, and a scanner that finds it in a raw frame without a JSON parser
 * (receivers see thousands of frames per second; both wxim's {@code message} frame and the Socket.IO peer's event
 * carry it as the JSON string field {@code "body"}).
 * Body: {@code B1|<step>|<sender>|<intendedNanos>|<msgNo>[|padding]}; only characters that JSON leaves unescaped.
 */
public final class BodyCodec {

    private static final String MARK = "\"body\":\"B1|";

    private BodyCodec() {
    }

    /** Fields carried in a body. */
    public record Body(int step, int sender, long intendedNanos, long msgNo) {
    }

    public static String encode(int step, int sender, long intendedNanos, long msgNo, int padding) {
        StringBuilder b = new StringBuilder(48 + padding).append("B1|").append(step).append('|').append(sender)
                .append('|').append(intendedNanos).append('|').append(msgNo);
        if (padding > 0) {
            b.append('|');
            for (int i = 0; i < padding; i++) {
                b.append('x');
            }
        }
        return b.toString();
    }

    /** The body of a frame, or null when the frame carries none of ours. */
    public static Body find(String frame) {
        int at = frame.indexOf(MARK);
        if (at < 0) {
            return null;
        }
        int[] pos = {at + MARK.length()};
        try {
            long step = number(frame, pos);
            long sender = number(frame, pos);
            long intended = number(frame, pos);
            long msgNo = number(frame, pos);
            return new Body((int) step, (int) sender, intended, msgNo);
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static long number(String s, int[] pos) {
        int i = pos[0];
        boolean negative = i < s.length() && s.charAt(i) == '-';
        if (negative) {
            i++;
        }
        long v = 0;
        int start = i;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                break;
            }
            v = v * 10 + (c - '0');
            i++;
        }
        if (i == start || i >= s.length()) {
            throw new IllegalArgumentException("no number");
        }
        char end = s.charAt(i);
        if (end != '|' && end != '"') {
            throw new IllegalArgumentException("bad separator");
        }
        pos[0] = i + 1;
        return negative ? -v : v;
    }

    /** The value of the first {@code "type":"..."} field of a JSON frame, or null; no full parse. */
    public static String type(String frame) {
        int at = frame.indexOf("\"type\":\"");
        if (at < 0) {
            return null;
        }
        int start = at + 8;
        int end = frame.indexOf('"', start);
        return end < 0 ? null : frame.substring(start, end);
    }
}
