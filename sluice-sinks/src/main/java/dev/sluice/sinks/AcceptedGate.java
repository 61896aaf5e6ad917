package dev.sluice.sinks;

import dev.sluice.wire.Accepted;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lets through the records of stream topics that the processor accepted, by its verdicts ({@link Accepted}, on
 * each stream's accepted-records topic): a sink that stores raw events reads both topics and stores what this
 * releases, so it drops exactly the duplicates the views dropped, with no key index in the store.
 *
 * <p>Per stream partition it holds the records read but not yet judged, and the verdicts read but not yet
 * complete. A verdict on {@code [from, to)} is applied once every record before {@code to} was read: those not in
 * its dropped ranges are released, in offset order, and the partition's next offsets become {@code to} (stream)
 * and the verdict's offset + 1 (accepted-records topic): what the store keeps with the rows, so a restart reads
 * both from a verdict's boundary. A record before the first verdict's {@code from} was never judged by the
 * processor (it started later) and is not stored; a verdict on records the store holds already (the processor
 * judged them again after its state was reset) is passed over. While the processor is behind, records wait here; a partition
 * holding more than {@link #MAX_HELD_RECORDS} is reported {@link #full}, and the sink's loop stops reading it.
 *
 * <p>One thread uses it, the sink's. {@link #open} forgets everything held, whenever the sink (re)opens: the loop
 * reads again from the stored offsets.
 */
public final class AcceptedGate {
    private static final Logger LOG = LoggerFactory.getLogger(AcceptedGate.class);

    /** Records held per stream partition before the sink stops reading it (about 20 MB of 300-byte events): 3 commits of a partition at 50,000 events/s. */
    public static final int MAX_HELD_RECORDS = 50_000;

    private final Map<String, String> acceptedTopicOf; // stream topic -> accepted-records topic
    private final Map<String, String> streamTopicOf; // accepted-records topic -> stream topic
    private final Map<TopicPartition, Partition> partitions = new HashMap<>();

    private static final class Partition {
        final ArrayDeque<ConsumerRecord<byte[], byte[]>> held = new ArrayDeque<>();
        final ArrayDeque<Verdict> verdicts = new ArrayDeque<>();
        long readTo = -1;
        /** Records before this offset are in the store already (the offset the store held at the start). */
        long storedTo = -1;
    }

    private record Verdict(Accepted accepted, long offset) {}

    /** What a batch stores: the accepted records, in order, and the next offset of every partition advanced. */
    public record Released(List<ConsumerRecord<byte[], byte[]>> records, Map<TopicPartition, Long> nextOffsets) {}

    /** @param acceptedTopicOf each stream topic stored raw, with its accepted-records topic */
    public AcceptedGate(Map<String, String> acceptedTopicOf) {
        this.acceptedTopicOf = Map.copyOf(acceptedTopicOf);
        this.streamTopicOf = acceptedTopicOf.entrySet().stream()
                .collect(Collectors.toUnmodifiableMap(Map.Entry::getValue, Map.Entry::getKey));
    }

    /** The accepted-records topics to read beside the stream topics. */
    public Set<String> acceptedTopics() {
        return streamTopicOf.keySet();
    }

    /** Whether the gate takes the topic's records (a stream topic stored raw, or its accepted-records topic). */
    public boolean handles(String topic) {
        return acceptedTopicOf.containsKey(topic) || streamTopicOf.containsKey(topic);
    }

    /** Takes a record of a stream topic or of an accepted-records topic, as read. */
    public void add(ConsumerRecord<byte[], byte[]> r) {
        String stream = streamTopicOf.get(r.topic());
        if (stream == null) {
            Partition p = partition(new TopicPartition(r.topic(), r.partition()));
            p.held.add(r);
            p.readTo = Math.max(p.readTo, r.offset() + 1);
            return;
        }
        Accepted a;
        try {
            a = Accepted.decode(r.value());
        } catch (RuntimeException e) {
            // only the processor writes this topic; a record it cannot have written is skipped, loudly
            LOG.error("skipping unreadable verdict {}/{}@{}: {}", r.topic(), r.partition(), r.offset(), e.toString());
            return;
        }
        partition(new TopicPartition(stream, a.partition())).verdicts.add(new Verdict(a, r.offset()));
    }

    /** Applies every verdict whose records were all read; see the class comment. */
    public Released release() {
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        Map<TopicPartition, Long> next = new LinkedHashMap<>();
        for (Map.Entry<TopicPartition, Partition> e : partitions.entrySet()) {
            TopicPartition tp = e.getKey();
            Partition p = e.getValue();
            while (!p.verdicts.isEmpty()
                    && (p.readTo >= p.verdicts.peek().accepted().to()
                            || p.storedTo >= p.verdicts.peek().accepted().to())) {
                Verdict v = p.verdicts.poll();
                if (v.accepted().to() > p.storedTo) {
                    apply(p, v.accepted(), out);
                } // else a verdict on records stored already (the processor judged them again): nothing to store
                p.storedTo = Math.max(p.storedTo, v.accepted().to()); // never behind what the store holds
                next.put(tp, p.storedTo);
                next.put(new TopicPartition(acceptedTopicOf.get(tp.topic()), tp.partition()), v.offset() + 1);
            }
        }
        return new Released(out, next);
    }

    private static void apply(Partition p, Accepted v, List<ConsumerRecord<byte[], byte[]>> out) {
        long[] dropped = v.dropped();
        int range = 0;
        while (!p.held.isEmpty() && p.held.peek().offset() < v.to()) {
            ConsumerRecord<byte[], byte[]> r = p.held.poll();
            long o = r.offset();
            if (o < v.from()) {
                LOG.debug("{}/{}@{} was never judged by the processor; not stored", r.topic(), r.partition(), o);
                continue;
            }
            while (range < dropped.length && dropped[range] + dropped[range + 1] <= o) {
                range += 2;
            }
            if (range < dropped.length && dropped[range] <= o) {
                continue;
            }
            out.add(r);
        }
    }

    /** Stream partitions holding more than {@link #MAX_HELD_RECORDS} records: not to be read until released. */
    public Set<TopicPartition> full() {
        return partitions.entrySet().stream()
                .filter(e -> e.getValue().held.size() > MAX_HELD_RECORDS)
                .map(Map.Entry::getKey)
                .collect(Collectors.toSet());
    }

    /** Per stream partition holding records, the offset of the first one. */
    public Map<TopicPartition, Long> heldFrom() {
        Map<TopicPartition, Long> out = new HashMap<>();
        partitions.forEach((tp, p) -> {
            if (!p.held.isEmpty()) {
                out.put(tp, p.held.peek().offset());
            }
        });
        return out;
    }

    /** Records held, over all partitions. */
    public long held() {
        return partitions.values().stream().mapToLong(p -> p.held.size()).sum();
    }

    /** Forgets everything held: the sink reads again from the offsets its store holds. */
    public void clear() {
        partitions.clear();
    }

    /**
     * Forgets everything held and notes where the store is: {@code stored} holds the next offset the store has
     * for each partition it has one for. A verdict on records before a stream partition's stored offset (the
     * processor judged them again, after its state was reset) is passed over instead of waited for.
     */
    public void open(Map<TopicPartition, Long> stored) {
        partitions.clear();
        stored.forEach((tp, next) -> {
            if (acceptedTopicOf.containsKey(tp.topic())) {
                partition(tp).storedTo = next;
            }
        });
    }

    private Partition partition(TopicPartition tp) {
        return partitions.computeIfAbsent(tp, x -> new Partition());
    }
}
