package dev.sluice.server.live;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One live client (an SSE stream or a WebSocket): its subscriptions, a bounded queue that coalesces to the
 * latest message per row, and a virtual thread that writes the queue to the client.
 *
 * <p>The hub only ever {@link #offer offers}: it never blocks on a client. A message for a row already queued
 * replaces it in place (the row keeps its place in line). A client stays behind, and is disconnected (and
 * counted), when the oldest row in its queue has waited longer than {@code maxBehindMs}, or when it is behind
 * by more distinct rows than the queue holds; it reconnects and resumes from its last id. A burst of updates
 * that the client drains in time is not a reason to drop it.
 */
public final class Subscriber {
    private static final Logger log = LoggerFactory.getLogger(Subscriber.class);

    /** Where a subscriber's messages go; {@link #send} may block (the writer thread is the client's own). */
    public interface Channel {
        void send(Message m) throws Exception;

        void heartbeat() throws Exception;

        void close(String reason);
    }

    /** A write that fails after blocking this long means the client stopped reading, not that it left. */
    static final long STUCK_MS = 2_000;

    private final String name;
    private final Channel channel;
    private final int capacity;
    private final long heartbeatMs;
    private final Map<String, Map<String, String>> subscriptions = new ConcurrentHashMap<>();
    private final long maxBehindNanos;
    /**
     * Queued messages by coalescing key, oldest first; {@code since} is when the row joined the queue, and
     * {@code firstSeq} the id of the first update it held. A row that was replaced in place is sent with that
     * first id: ids then only increase along what a client receives, and a client that resumes after it gets
     * everything it has not seen (at worst a row again, which its version tells).
     */
    private final LinkedHashMap<String, Queued> queue = new LinkedHashMap<>();

    private record Queued(Message message, long since, long firstSeq) {}

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition ready = lock.newCondition();
    private final Runnable onDrop;
    private final java.util.function.Consumer<Message> onSent;
    private volatile boolean closed;
    /** When the write in progress began (0: none), and how long the last one took. */
    private volatile long sendStarted;

    private volatile long lastSendNanos;

    private volatile boolean counted;
    private Thread writer;

    Subscriber(String name, Channel channel, int capacity, long heartbeatMs, long maxBehindMs, Runnable onDrop) {
        this(name, channel, capacity, heartbeatMs, maxBehindMs, onDrop, m -> {});
    }

    /** @param onSent called after each message is written to the client (the hub measures latency there) */
    Subscriber(
            String name,
            Channel channel,
            int capacity,
            long heartbeatMs,
            long maxBehindMs,
            Runnable onDrop,
            java.util.function.Consumer<Message> onSent) {
        this.onSent = onSent;
        this.maxBehindNanos = maxBehindMs * 1_000_000;
        this.name = name;
        this.channel = channel;
        this.capacity = capacity;
        this.heartbeatMs = heartbeatMs;
        this.onDrop = onDrop;
    }

    void start() {
        writer = Thread.ofVirtual().name("sluice-live-" + name).start(this::writeLoop);
    }

    public void subscribe(String view, Map<String, String> filter) {
        subscriptions.put(view, Map.copyOf(filter));
    }

    public void unsubscribe(String view) {
        subscriptions.remove(view);
    }

    boolean wants(Message m) {
        Map<String, String> f = subscriptions.get(m.view());
        return f != null && m.matches(f);
    }

    public boolean closed() {
        return closed;
    }

    /** Queues a message, coalescing by row; never blocks. */
    void offer(Message m) {
        if (closed || !wants(m)) {
            return;
        }
        String overflow = null;
        long now = System.nanoTime();
        lock.lock();
        try {
            String k = m.coalesceKey();
            Queued old = queue.get(k);
            if (old != null) {
                // in place: the row keeps its turn (and its first id), with the latest content
                queue.put(k, new Queued(m, old.since(), Math.min(old.firstSeq(), m.seq())));
            } else if (queue.size() < capacity) {
                queue.put(k, new Queued(m, now, m.seq()));
            } else {
                overflow = "fell behind by more than " + capacity + " rows";
            }
            if (overflow == null && !queue.isEmpty()) {
                long waited = now - queue.firstEntry().getValue().since();
                if (waited > maxBehindNanos) {
                    overflow = "stayed behind: an update waited " + waited / 1_000_000 + " ms in its queue";
                }
            }
            ready.signal();
        } finally {
            lock.unlock();
        }
        if (overflow != null) {
            drop(overflow);
        }
    }

    /** Queues messages in order, before anything live (a snapshot on resume). */
    void offerAll(List<Message> ms) {
        ms.forEach(this::offer);
    }

    /**
     * Queues a missed update on resume, without coalescing: a client that comes back receives every update it
     * missed that the replay buffer still holds, each under its own id; live updates queue behind them.
     */
    void offerReplayed(Message m) {
        if (closed || !wants(m)) {
            return;
        }
        lock.lock();
        try {
            queue.put("replay\u0000" + m.seq() + "\u0000" + m.coalesceKey(), new Queued(m, System.nanoTime(), m.seq()));
            ready.signal();
        } finally {
            lock.unlock();
        }
    }

    /** The views this client is subscribed to. */
    java.util.Set<String> views() {
        return subscriptions.keySet();
    }

    /** Drops the client when its oldest queued message waited longer than allowed; the hub calls it each tick. */
    void checkBehind() {
        long waited = 0;
        lock.lock();
        try {
            if (!queue.isEmpty()) {
                waited = System.nanoTime() - queue.firstEntry().getValue().since();
            }
        } finally {
            lock.unlock();
        }
        if (waited > maxBehindNanos) {
            drop("stayed behind: an update waited " + waited / 1_000_000 + " ms in its queue");
        }
    }

    int queued() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    void drop(String reason) {
        if (!closed && !counted) {
            counted = true;
            log.info("Disconnecting live client {}: {}", name, reason);
            onDrop.run();
            close(reason);
        }
    }

    public void close(String reason) {
        if (closed) {
            return;
        }
        long started = sendStarted;
        long blockedMs = Math.max(lastSendNanos, started == 0 ? 0 : System.nanoTime() - started) / 1_000_000;
        if (blockedMs >= STUCK_MS && !counted) {
            counted = true;
            // the connection ended while (or right after) a write was blocked: the client stopped reading and
            // the server's write timed out; that is falling behind too
            log.info("Disconnecting live client {}: stopped reading (a write blocked {} ms)", name, blockedMs);
            onDrop.run();
        }
        closed = true;
        lock.lock();
        try {
            queue.clear();
            ready.signalAll();
        } finally {
            lock.unlock();
        }
        channel.close(reason);
    }

    private void writeLoop() {
        try {
            while (!closed) {
                Message next = null;
                lock.lock();
                try {
                    if (queue.isEmpty()) {
                        ready.await(heartbeatMs, java.util.concurrent.TimeUnit.MILLISECONDS);
                    }
                    Iterator<Queued> it = queue.values().iterator();
                    if (it.hasNext()) {
                        Queued q = it.next();
                        next = q.firstSeq() == q.message().seq()
                                ? q.message()
                                : q.message().withSeq(q.firstSeq());
                        it.remove();
                    }
                } finally {
                    lock.unlock();
                }
                if (closed) {
                    break;
                }
                sendStarted = System.nanoTime();
                if (next == null) {
                    channel.heartbeat();
                } else {
                    channel.send(next);
                    onSent.accept(next);
                }
                lastSendNanos = System.nanoTime() - sendStarted;
                sendStarted = 0;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.debug("Live client {} gone: {}", name, e.toString());
        } finally {
            close("writer stopped");
        }
    }
}
