package dev.sluice.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.FileLogInputStream.FileChannelRecordBatch;
import org.apache.kafka.common.record.internal.FileRecords;
import org.apache.kafka.common.record.internal.Record;

/**
 * Reads a broker's log segments straight from its data directory, as Kafka's own {@code kafka-dump-log} does,
 * so a test can see what a frozen (SIGSTOP) or dead broker holds: log end offsets, record keys, and
 * transactions that have written records but no commit or abort marker yet. A batch cut short at the end of a
 * segment (a write in progress when the process stopped) is not read, as the broker's own recovery drops it.
 */
final class KafkaLogFiles {
    private KafkaLogFiles() {}

    /** A transaction of one producer on one partition with records and no marker after them. */
    record OpenTransaction(String partition, long producerId, long firstOffset, long lastOffset, int records) {
        /** The same transaction, seen again later (with more records, perhaps). */
        boolean sameAs(OpenTransaction o) {
            return partition.equals(o.partition) && producerId == o.producerId && firstOffset == o.firstOffset;
        }

        @Override
        public String toString() {
            return partition + " offsets " + firstOffset + ".." + lastOffset + " (" + records + " records, producer "
                    + producerId + ")";
        }
    }

    /** Next offset after the last complete batch of each partition of {@code topic}. */
    static Map<Integer, Long> endOffsets(Path logDir, String topic) throws IOException {
        Map<Integer, Long> out = new TreeMap<>();
        for (Path part : partitions(logDir, topic::equals)) {
            long end = baseOffset(segments(part).getFirst());
            for (Path seg : segments(part)) {
                end = Math.max(end, baseOffset(seg));
                try (Segment segment = Segment.open(seg)) {
                    FileRecords f = segment.records();
                    for (FileChannelRecordBatch b : f.batches()) {
                        end = b.nextOffset();
                    }
                }
            }
            out.put(partitionNumber(part), end);
        }
        return out;
    }

    static long sum(Map<Integer, Long> offsets) {
        return offsets.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Keys (UTF-8) of every data record of {@code topic}, committed or not. */
    static Set<String> keys(Path logDir, String topic) throws IOException {
        Set<String> out = new HashSet<>();
        for (Path part : partitions(logDir, topic::equals)) {
            for (Path seg : segments(part)) {
                try (Segment segment = Segment.open(seg)) {
                    FileRecords f = segment.records();
                    for (FileChannelRecordBatch b : f.batches()) {
                        if (b.isControlBatch()) {
                            continue;
                        }
                        for (Record r : b) {
                            if (r.hasKey()) {
                                out.add(StandardCharsets.UTF_8.decode(r.key()).toString());
                            }
                        }
                    }
                }
            }
        }
        return out;
    }

    /** Transactions with records and no marker yet, on every partition of the topics {@code topics} accepts. */
    static List<OpenTransaction> openTransactions(Path logDir, Predicate<String> topics) throws IOException {
        List<OpenTransaction> out = new ArrayList<>();
        for (Path part : partitions(logDir, topics)) {
            Map<Long, long[]> open = new LinkedHashMap<>(); // producer -> first, last, records
            for (Path seg : segments(part)) {
                try (Segment segment = Segment.open(seg)) {
                    FileRecords f = segment.records();
                    for (FileChannelRecordBatch b : f.batches()) {
                        if (!b.isTransactional()) {
                            continue;
                        }
                        if (b.isControlBatch()) {
                            open.remove(b.producerId());
                        } else {
                            long[] t = open.computeIfAbsent(b.producerId(), p -> new long[] {b.baseOffset(), 0, 0});
                            t[1] = b.lastOffset();
                            t[2] += b.lastOffset() - b.baseOffset() + 1;
                        }
                    }
                }
            }
            open.forEach((producer, t) ->
                    out.add(new OpenTransaction(part.getFileName().toString(), producer, t[0], t[1], (int) t[2])));
        }
        return out;
    }

    /** A data record as stored, with the end of its transaction (COMMIT, ABORT, null while open or not transactional). */
    record StoredRecord(String partition, long offset, String key, String value, ControlRecordType outcome) {}

    /** Every data record of {@code topic}, with how its transaction ended. */
    static List<StoredRecord> records(Path logDir, String topic) throws IOException {
        List<StoredRecord> out = new ArrayList<>();
        for (Path part : partitions(logDir, topic::equals)) {
            String name = part.getFileName().toString();
            Map<Long, List<long[]>> pending = new LinkedHashMap<>(); // producer -> indexes into out
            for (Path seg : segments(part)) {
                try (Segment segment = Segment.open(seg)) {
                    FileRecords f = segment.records();
                    for (FileChannelRecordBatch b : f.batches()) {
                        if (b.isControlBatch()) {
                            ControlRecordType type = null;
                            for (Record r : b) {
                                type = ControlRecordType.parse(r.key());
                            }
                            for (long[] i : pending.getOrDefault(b.producerId(), List.of())) {
                                StoredRecord s = out.get((int) i[0]);
                                out.set(
                                        (int) i[0],
                                        new StoredRecord(s.partition(), s.offset(), s.key(), s.value(), type));
                            }
                            pending.remove(b.producerId());
                            continue;
                        }
                        for (Record r : b) {
                            if (b.isTransactional()) {
                                pending.computeIfAbsent(b.producerId(), x -> new ArrayList<>())
                                        .add(new long[] {out.size()});
                            }
                            out.add(new StoredRecord(
                                    name,
                                    r.offset(),
                                    r.hasKey()
                                            ? StandardCharsets.UTF_8
                                                    .decode(r.key())
                                                    .toString()
                                            : null,
                                    r.hasValue()
                                            ? StandardCharsets.UTF_8
                                                    .decode(r.value())
                                                    .toString()
                                            : null,
                                    null));
                        }
                    }
                }
            }
        }
        return out;
    }

    /** The marker that ended {@code t} (COMMIT or ABORT), or null while there is none. */
    static ControlRecordType outcome(Path logDir, OpenTransaction t) throws IOException {
        for (Path seg : segments(logDir.resolve(t.partition()))) {
            try (Segment segment = Segment.open(seg)) {
                FileRecords f = segment.records();
                for (FileChannelRecordBatch b : f.batches()) {
                    if (b.isControlBatch() && b.producerId() == t.producerId() && b.baseOffset() > t.lastOffset()) {
                        for (Record r : b) {
                            ByteBuffer key = r.key();
                            return ControlRecordType.parse(key);
                        }
                    }
                }
            }
        }
        return null;
    }

    /**
     * A segment opened read-only. Closing closes the file only: {@link FileRecords#close} would trim the file to
     * the size it had when opened, which fails on a read-only channel (and must never touch a live broker's log).
     */
    private record Segment(FileRecords records) implements AutoCloseable {
        static Segment open(Path file) throws IOException {
            return new Segment(FileRecords.open(file.toFile(), false));
        }

        @Override
        public void close() throws IOException {
            records.channel().close();
        }
    }

    /** The partition folders of the topics {@code topics} accepts; fails when there is none. */
    private static List<Path> partitions(Path logDir, Predicate<String> topics) throws IOException {
        List<Path> found;
        try (Stream<Path> dirs = Files.list(logDir)) {
            found = dirs.filter(Files::isDirectory)
                    .filter(d -> {
                        String name = d.getFileName().toString();
                        int dash = name.lastIndexOf('-');
                        return dash > 0
                                && name.substring(dash + 1).chars().allMatch(Character::isDigit)
                                && topics.test(name.substring(0, dash));
                    })
                    .sorted()
                    .toList();
        }
        if (found.isEmpty()) {
            throw new IllegalStateException("no partition of the topics asked for in " + logDir);
        }
        return found;
    }

    private static int partitionNumber(Path part) {
        String name = part.getFileName().toString();
        return Integer.parseInt(name.substring(name.lastIndexOf('-') + 1));
    }

    private static List<Path> segments(Path part) throws IOException {
        try (Stream<Path> files = Files.list(part)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".log"))
                    .sorted()
                    .toList();
        }
    }

    private static long baseOffset(Path segment) {
        String name = segment.getFileName().toString();
        return Long.parseLong(name.substring(0, name.length() - ".log".length()));
    }
}
