package io.wxim.protocol;

import java.util.Collection;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * One gateway process's list of its open connections, written every minute or so to
 * {@link RedisNames#openConnections}, so chat-service can end connections whose DISCONNECT was lost (a Redis outage
 * longer than the gateway's retries, a command stream trimmed before it was read): a connection chat-service holds for
 * the node, opened by this boot up to {@code upTo} and missing from two consecutive lists, was closed. Two, because a
 * connection whose id was taken just before a list was made may be registered only after it.
 * <p>
 * Text: {@code <boot> <seq> <upTo> <n> <n> ...}, numbers in base 36 as in connIds ({@code node.boot.n}); {@code seq}
 * counts the lists of this boot, so a reader can tell a new list from the one it already compared (its head alone,
 * the first {@link #HEAD_CHARS} characters, carries boot and seq).
 *
 * @param boot the gateway process's boot id
 * @param seq  this list's number in its boot
 * @param upTo the highest connection number taken before the list was made
 * @param open the numbers of the connections open when it was made (at most {@code upTo})
 */
public record OpenConnections(String boot, long seq, long upTo, Set<Long> open) {
    /** Enough characters for boot (at most 16) and seq. */
    public static final int HEAD_CHARS = 48;

    public OpenConnections {
        open = Set.copyOf(open);
    }

    /** The list of {@code connIds} ({@code node.boot.n}; others are ignored) with numbers up to {@code upTo}. */
    public static OpenConnections of(String node, String boot, long seq, long upTo, Collection<String> connIds) {
        Set<Long> open = new HashSet<>();
        for (String connId : connIds) {
            number(connId, node, boot).filter(n -> n <= upTo).ifPresent(open::add);
        }
        return new OpenConnections(boot, seq, upTo, open);
    }

    public String encode() {
        StringBuilder text = new StringBuilder(boot).append(' ').append(Long.toString(seq, 36)).append(' ')
                .append(Long.toString(upTo, 36));
        for (long n : open) {
            text.append(' ').append(Long.toString(n, 36));
        }
        return text.toString();
    }

    /** The list, or empty if {@code text} is not one. */
    public static Optional<OpenConnections> parse(String text) {
        try {
            String[] parts = text.split(" ");
            if (parts.length < 3) {
                return Optional.empty();
            }
            Set<Long> open = new HashSet<>();
            for (int i = 3; i < parts.length; i++) {
                open.add(Long.parseLong(parts[i], 36));
            }
            return Optional.of(new OpenConnections(parts[0], Long.parseLong(parts[1], 36), Long.parseLong(parts[2], 36), open));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Boot and seq from a list's first {@link #HEAD_CHARS} characters ("boot seq"), or empty. */
    public static Optional<String> version(String head) {
        String[] parts = head.split(" ", 3);
        return parts.length < 3 ? Optional.empty() : Optional.of(parts[0] + " " + parts[1]);
    }

    /** This list's boot and seq, as {@link #version} reads them. */
    public String version() {
        return boot + " " + Long.toString(seq, 36);
    }

    /** True if {@code connId} was opened by this boot of {@code node} up to {@code upTo} and is not in the list. */
    public boolean closedBefore(String connId, String node) {
        return number(connId, node, boot).filter(n -> n <= upTo && !open.contains(n)).isPresent();
    }

    /** The n of {@code node.boot.n}, or empty for another node or boot, or no such id. */
    static Optional<Long> number(String connId, String node, String boot) {
        String prefix = node + "." + boot + ".";
        if (!connId.startsWith(prefix)) {
            return Optional.empty();
        }
        try {
            return Optional.of(Long.parseLong(connId.substring(prefix.length()), 36));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}
