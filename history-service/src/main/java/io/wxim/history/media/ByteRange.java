package io.wxim.history.media;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One satisfiable byte range of a file of known size (RFC 9110 section 14), inclusive bounds. Only single ranges are
 * served: a multi-range request gets the whole file (allowed by the RFC), as does a malformed header.
 */
record ByteRange(long start, long end) {
    private static final Pattern SINGLE = Pattern.compile("bytes=(\\d{0,18})-(\\d{0,18})");

    long length() {
        return end - start + 1;
    }

    /** What a Range header asks of a file of {@code size} bytes. */
    sealed interface Request permits Whole, Partial, Unsatisfiable {
    }

    record Whole() implements Request {
    }

    record Partial(ByteRange range) implements Request {
    }

    record Unsatisfiable() implements Request {
    }

    static Request parse(String header, long size) {
        if (header == null) {
            return new Whole();
        }
        Matcher m = SINGLE.matcher(header.strip());
        if (!m.matches() || (m.group(1).isEmpty() && m.group(2).isEmpty())) {
            return new Whole();
        }
        Optional<ByteRange> range;
        if (m.group(1).isEmpty()) { // suffix: the last n bytes
            long n = Long.parseLong(m.group(2));
            range = n == 0 || size == 0 ? Optional.empty() : Optional.of(new ByteRange(Math.max(0, size - n), size - 1));
        } else {
            long start = Long.parseLong(m.group(1));
            long end = m.group(2).isEmpty() ? size - 1 : Math.min(Long.parseLong(m.group(2)), size - 1);
            if (!m.group(2).isEmpty() && Long.parseLong(m.group(2)) < start) {
                return new Whole(); // syntactically invalid: ignored
            }
            range = start >= size ? Optional.empty() : Optional.of(new ByteRange(start, end));
        }
        return range.<Request>map(Partial::new).orElseGet(Unsatisfiable::new);
    }
}
