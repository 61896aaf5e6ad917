package dev.sluice.server.live;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A live client's queue: coalescing for a slow client, disconnecting one that stays behind, isolation. */
class SubscriberTest {
    /** A channel whose writes block until released, like a client that stopped reading. */
    static final class HeldChannel implements Subscriber.Channel {
        final CountDownLatch release = new CountDownLatch(1);
        final CountDownLatch firstSend = new CountDownLatch(1);
        final List<Message> sent = new CopyOnWriteArrayList<>();
        volatile String closed;

        @Override
        public void send(Message m) throws Exception {
            firstSend.countDown();
            if (!release.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("held channel never released (closed) within 60 s");
            }
            sent.add(m);
        }

        @Override
        public void heartbeat() {}

        @Override
        public void close(String reason) {
            closed = reason;
            release.countDown();
        }
    }

    static Message update(String row, long seq) {
        return new Message("update", "v", seq, row, Map.of("country", row), "{\"seq\":" + seq + "}");
    }

    static Subscriber subscriber(Subscriber.Channel ch, int capacity, AtomicInteger drops) {
        Subscriber s = new Subscriber("test", ch, capacity, 60_000, 60_000, drops::incrementAndGet);
        s.subscribe("v", Map.of());
        s.start();
        return s;
    }

    @Test
    void aSlowClientGetsTheLatestVersionOfEachRowNotEveryVersion() throws Exception {
        HeldChannel ch = new HeldChannel();
        AtomicInteger drops = new AtomicInteger();
        Subscriber s = subscriber(ch, 10, drops);
        s.offer(update("DE", 1));
        assertThat(ch.firstSend.await(5, TimeUnit.SECONDS)).isTrue(); // the writer is now stuck on seq 1
        for (long seq = 2; seq <= 500; seq++) {
            s.offer(update(seq % 2 == 0 ? "DE" : "FR", seq));
        }
        assertThat(s.queued()).as("one queued message per row").isEqualTo(2);
        ch.release.countDown();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (ch.sent.size() < 3 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        // the latest content of each row, in the order the rows first queued
        assertThat(ch.sent).extracting(Message::json).containsExactly("{\"seq\":1}", "{\"seq\":500}", "{\"seq\":499}");
        // under the id of the first update each row held: ids only increase along what the client receives,
        // so resuming after any of them replays whatever it has not seen
        assertThat(ch.sent).extracting(Message::seq).containsExactly(1L, 2L, 3L);
        assertThat(drops.get()).isZero();
        assertThat(s.closed()).isFalse();
        s.close("done");
    }

    @Test
    void aClientBehindByMoreRowsThanItsQueueIsDisconnectedAndCounted() throws Exception {
        HeldChannel ch = new HeldChannel();
        AtomicInteger drops = new AtomicInteger();
        Subscriber s = subscriber(ch, 5, drops);
        s.offer(update("r0", 1));
        assertThat(ch.firstSend.await(5, TimeUnit.SECONDS)).isTrue();
        for (int i = 1; i <= 5; i++) {
            s.offer(update("r" + i, i + 1));
        }
        assertThat(s.closed()).isFalse();
        s.offer(update("r6", 7));
        assertThat(s.closed()).isTrue();
        assertThat(drops.get()).isEqualTo(1);
        assertThat(ch.closed).contains("fell behind");
    }

    @Test
    void aCoalescedUpdateCarriesItsNewIdInTheJsonToo() {
        Message m = new Message(
                "update",
                "v",
                100,
                "r",
                Map.of(),
                "{\"type\":\"update\",\"view\":\"v\",\"id\":\"100\",\"row\":{\"id\":\"100\"}}");
        assertThat(m.withSeq(7).json())
                .isEqualTo("{\"type\":\"update\",\"view\":\"v\",\"id\":\"7\",\"row\":{\"id\":\"100\"}}");
        assertThat(m.withSeq(7).seq()).isEqualTo(7);
    }

    @Test
    void aClientWhoseOldestUpdateWaitedTooLongIsDisconnectedAndCounted() throws Exception {
        HeldChannel ch = new HeldChannel();
        AtomicInteger drops = new AtomicInteger();
        Subscriber s = new Subscriber("slow", ch, 1_000, 60_000, 300, drops::incrementAndGet);
        s.subscribe("v", Map.of());
        s.start();
        s.offer(update("r0", 1));
        assertThat(ch.firstSend.await(5, TimeUnit.SECONDS)).isTrue(); // stuck writing r0
        s.offer(update("r1", 2));
        Thread.sleep(100);
        s.offer(update("r1", 3)); // coalesced: r1 keeps the time it joined the queue
        assertThat(s.closed()).as("behind 100 ms of 300 allowed").isFalse();
        Thread.sleep(300);
        s.offer(new Message("status", "v", 0, "", Map.of(), "{}"));
        assertThat(s.closed()).isTrue();
        assertThat(drops.get()).isEqualTo(1);
        assertThat(ch.closed).contains("stayed behind");
    }

    @Test
    void aStuckClientDoesNotHoldUpAnotherOrTheOfferingThread() throws Exception {
        HeldChannel stuck = new HeldChannel();
        List<Message> got = new CopyOnWriteArrayList<>();
        Subscriber.Channel fast = new Subscriber.Channel() {
            @Override
            public void send(Message m) {
                got.add(m);
            }

            @Override
            public void heartbeat() {}

            @Override
            public void close(String reason) {}
        };
        AtomicInteger drops = new AtomicInteger();
        Subscriber a = subscriber(stuck, 1_000, drops);
        Subscriber b = subscriber(fast, 1_000, drops);
        for (long seq = 1; seq <= 300; seq++) {
            Message m = update("row" + seq, seq);
            a.offer(m);
            b.offer(m);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (got.size() < 300 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(got).extracting(Message::seq).hasSize(300).isSorted();
        assertThat(stuck.sent).isEmpty();
        a.close("done");
        b.close("done");
    }

    @Test
    void filtersAndSubscriptionsDecideWhatIsQueued() {
        HeldChannel ch = new HeldChannel();
        Subscriber s = new Subscriber("f", ch, 10, 60_000, 60_000, () -> {});
        s.subscribe("v", Map.of("country", "DE"));
        s.offer(update("FR", 1));
        s.offer(new Message("update", "other", 2, "x", Map.of(), "{}"));
        assertThat(s.queued()).isZero();
        s.offer(update("DE", 3));
        s.offer(new Message("status", "v", 0, "", Map.of(), "{}"));
        assertThat(s.queued()).isEqualTo(2);
        s.unsubscribe("v");
        s.offer(update("DE", 4));
        assertThat(s.queued()).isEqualTo(2);
    }

    @Test
    void replayedUpdatesAreNotCoalescedAndLiveOnesQueueBehindThem() {
        HeldChannel ch = new HeldChannel();
        Subscriber s = new Subscriber("r", ch, 10, 60_000, 60_000, () -> {});
        s.subscribe("v", Map.of());
        s.offerReplayed(update("DE", 3));
        s.offerReplayed(update("DE", 4));
        s.offer(update("DE", 5));
        s.offer(update("DE", 6));
        assertThat(s.queued()).as("both missed versions, then one live row").isEqualTo(3);
        s.offer(new Message("subscribed", "v", 0, "", Map.of(), "{}"));
        s.offer(new Message("status", "v", 0, "", Map.of(), "{}"));
        assertThat(s.queued())
                .as("an acknowledgement does not coalesce with a status")
                .isEqualTo(5);
    }
}
