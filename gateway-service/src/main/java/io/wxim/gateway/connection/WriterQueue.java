package io.wxim.gateway.connection;

import io.netty.util.ReferenceCountUtil;
import java.util.AbstractQueue;
import java.util.Iterator;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * A connection's outbound queue: a single-producer/single-consumer queue that counts down {@code queued} as the
 * writer takes each frame. Reactor Netty's writer polls it directly (queue fusion with the unicast sink, no operator
 * in between), so a connection needs no second queue of its own in the writer. A fused writer polls whatever is
 * there (it ignores demand), so the queue hands out nothing while the socket is not writable ({@link #gate}): the
 * backlog then stays here, where the connection's bound sees it, instead of in Netty's unbounded outbound buffer.
 * The writer does not look again by itself when the socket turns writable (it reschedules only on a new item, or every
 * 64 completed writes): {@link Connection#wake()} offers {@code wake}, which is never queued but makes the sink signal
 * the writer. Only the fused writer polls; {@link #clear()} (the writer's discard at the end) ignores the gate.
 */
final class WriterQueue<T> extends AbstractQueue<T> {
    private final Queue<T> delegate;
    private final AtomicInteger queued;
    private final T wake;
    private volatile BooleanSupplier writable = () -> true;

    WriterQueue(Queue<T> delegate, AtomicInteger queued, T wake) {
        this.delegate = delegate;
        this.queued = queued;
        this.wake = wake;
    }

    @Override
    public boolean offer(T item) {
        return item == wake || delegate.offer(item);
    }

    /** Drops what is left (the connection is over), whatever the gate says. */
    @Override
    public void clear() {
        for (T item = delegate.poll(); item != null; item = delegate.poll()) {
            queued.decrementAndGet();
            ReferenceCountUtil.release(item);
        }
    }

    /** From now on frames are handed out only while {@code writable} says so (the socket's writability). */
    void gate(BooleanSupplier writable) {
        this.writable = writable;
    }

    @Override
    public T poll() {
        if (!writable.getAsBoolean()) {
            return null;
        }
        T item = delegate.poll();
        if (item != null) {
            queued.decrementAndGet();
        }
        return item;
    }

    @Override
    public T peek() {
        return delegate.peek();
    }

    @Override
    public int size() {
        return delegate.size();
    }

    @Override
    public boolean isEmpty() {
        return delegate.isEmpty();
    }

    @Override
    public Iterator<T> iterator() {
        return delegate.iterator();
    }
}
