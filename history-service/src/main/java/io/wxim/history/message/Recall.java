package io.wxim.history.message;

/**
 * The outcome of a recall: the recalled message ({@code target}, body gone) and the recall notice stored after it, a
 * message of kind {@code recall} from the recaller whose body is the target's seq. The notice takes the next seq, so
 * clients that were offline learn of the recall from sync like any message. A retried recall answers the notice stored
 * before ({@code duplicate = true}), or stores it if the earlier attempt failed after the message was recalled;
 * {@code notice} is null for a retry long after the window (see {@link MessageService#recall}).
 */
public record Recall(StoredMessage target, StoredMessage notice) {
}
