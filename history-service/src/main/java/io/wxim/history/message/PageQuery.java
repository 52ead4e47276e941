package io.wxim.history.message;

/**
 * Which page of a conversation to read. Bounds are exclusive: {@code after=S} is the page right after seq S,
 * {@code before=S} the page right before it, neither the newest page. A missing limit takes the default, a limit above
 * the maximum is capped to it, a limit below 1 or a negative bound is rejected, and so are both bounds at once.
 */
public record PageQuery(Direction direction, long bound, int limit) {

    public enum Direction {
        /** seq > bound, ascending. */
        AFTER,
        /** seq < bound, the closest ones. */
        BEFORE,
        /** the last {@code limit} messages; bound unused. */
        NEWEST
    }

    public PageQuery {
        if (direction == null || limit < 1 || bound < 0) {
            throw new IllegalArgumentException("invalid page query");
        }
    }

    public static PageQuery of(Long after, Long before, Integer limit, int defaultLimit, int maxLimit) {
        if (after != null && before != null) {
            throw new InvalidRequestException("give either after or before, not both");
        }
        if (after != null && after < 0) {
            throw new InvalidRequestException("after must be >= 0");
        }
        if (before != null && before < 1) {
            throw new InvalidRequestException("before must be >= 1");
        }
        if (limit != null && limit < 1) {
            throw new InvalidRequestException("limit must be >= 1");
        }
        int size = Math.min(limit == null ? defaultLimit : limit, maxLimit);
        if (after != null) {
            return new PageQuery(Direction.AFTER, after, size);
        }
        if (before != null) {
            return new PageQuery(Direction.BEFORE, before, size);
        }
        return new PageQuery(Direction.NEWEST, 0, size);
    }

    /** Sync semantics: after defaults to 0 (from the beginning). */
    public static PageQuery after(Long after, Integer limit, int defaultLimit, int maxLimit) {
        return of(after == null ? 0L : after, null, limit, defaultLimit, maxLimit);
    }
}
