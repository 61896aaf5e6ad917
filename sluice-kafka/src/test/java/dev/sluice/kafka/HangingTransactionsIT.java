package dev.sluice.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.ProduceResponse;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link HangingTransactions} on a recorded broker: the internal topics of the embedded broker of a {@code
 * sluice run} (ecommerce example) that {@code KillRestartIT} killed between a commit's prepare and its markers,
 * restarted, and found stuck. The transaction coordinator holds the processor's transaction (offsets only, on
 * {@code __consumer_offsets-2}) as committed, while the partition still holds its offset commits from offset 461
 * with no marker, so the group's offsets stay unstable and a Kafka Streams task waiting for them never starts.
 * The recording cannot be made on demand (it takes a kill at the right moment), so it is kept as a file: the
 * broker's {@code __cluster_metadata}, {@code __consumer_offsets} and {@code __transaction_state} logs. This
 * broker is the test's own, not the shared one, because it must start on that data.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class HangingTransactionsIT {
    static final String GROUP = "sluice-ecommerce";
    static final TopicPartition OFFSETS = new TopicPartition("__consumer_offsets", 2);
    /** The group's input partitions; the last four are those the hanging transaction committed offsets for. */
    static final List<TopicPartition> INPUTS = List.of(
            new TopicPartition("ecommerce.orders", 0),
            new TopicPartition("ecommerce.orders", 1),
            new TopicPartition("ecommerce.orders", 2),
            new TopicPartition("sluice-ecommerce-gmv_by_country-by-group-repartition", 1),
            new TopicPartition("sluice-ecommerce-basket_sizes-by-group-repartition", 0),
            new TopicPartition("sluice-ecommerce-gmv_by_country-by-group-repartition", 0),
            new TopicPartition("sluice-ecommerce-gmv_by_country-by-group-repartition", 2),
            new TopicPartition("sluice-ecommerce-basket_sizes-by-group-repartition", 1),
            new TopicPartition("sluice-ecommerce-basket_sizes-by-group-repartition", 2));

    @TempDir
    Path tmp;

    @Test
    void abortsTheOffsetCommitACrashLeftWithoutItsMarkerAndTheGroupsOffsetsBecomeStable() throws Exception {
        unpack("/recorded/hanging-offsets-transaction.tgz", tmp);
        try (EmbeddedKafka kafka = EmbeddedKafka.start(tmp.resolve("kafka"), 0);
                Admin admin = Admin.create(ClientDefaults.admin(kafka.bootstrapServers()))) {
            assertThat(openTransactions(admin))
                    .as("the recorded state: producer 2's offset commits from offset 461 without a marker")
                    .containsExactly("producer 2 epoch 109 from 461");
            assertThat(stableOffsets(admin).keySet())
                    .as("the offsets the group can read as stable: not those of the four partitions the hanging"
                            + " transaction committed offsets for (tasks 2_0, 2_2, 3_1 and 3_2 waited for them)")
                    .containsExactlyInAnyOrderElementsOf(INPUTS.subList(0, 5));

            HangingTransactions.Outcome outcome = HangingTransactions.resolve(admin, Duration.ofSeconds(15));

            assertThat(outcome.aborted())
                    .containsExactly("__consumer_offsets-2 producer 2 epoch 109 from offset 461"
                            + " (sluice-ecommerce-acf07f72-4905-4ed8-9e7f-0a3709cb3903-1, Empty)");
            assertThat(outcome.committed()).isEmpty();
            assertThat(outcome.leftHanging()).isEmpty();
            assertThat(openTransactions(admin)).isEmpty();
            // the offsets committed before the hanging transaction, for each of the group's input partitions
            assertThat(stableOffsets(admin).keySet())
                    .as("after the abort every input partition of the group has stable offsets")
                    .containsExactlyInAnyOrderElementsOf(INPUTS);
            assertThat(HangingTransactions.resolve(admin, Duration.ofSeconds(15))
                            .aborted())
                    .as("nothing is left to abort")
                    .isEmpty();
        }
    }

    /**
     * The case the kill test met most: the coordinator completed a commit (after a restart) and some of its
     * partitions never got the commit marker. Made here on a fresh broker by writing a committed producer's
     * records to a partition its coordinator never heard of (partition verification off, so the broker takes
     * them): the partition then holds records of a transaction its coordinator holds as committed, with no
     * marker, exactly as in the recorded kill runs. An abort marker would hide the records; the commit shows them.
     */
    @Test
    void commitsWhereTheCoordinatorCommittedAndTheMarkerIsMissing() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start(
                        tmp.resolve("fresh"), 0, Map.of("transaction.partition.verification.enable", "false"));
                Admin admin = Admin.create(ClientDefaults.admin(kafka.bootstrapServers()))) {
            KafkaTopics.ensureTopic(admin, "a", 1, Map.of());
            KafkaTopics.ensureTopic(admin, "b", 1, Map.of());
            TopicPartition b = new TopicPartition("b", 0);
            Map<String, Object> pc = new java.util.HashMap<>(ClientDefaults.producer(kafka.bootstrapServers()));
            pc.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "t1");
            try (KafkaProducer<byte[], byte[]> p =
                    new KafkaProducer<>(pc, new ByteArraySerializer(), new ByteArraySerializer())) {
                p.initTransactions();
                p.beginTransaction();
                p.send(new ProducerRecord<>("a", bytes("on a")));
                p.commitTransaction();
            }
            var committed =
                    admin.describeTransactions(List.of("t1")).description("t1").get(30, TimeUnit.SECONDS);
            var tv = admin.describeFeatures()
                    .featureMetadata()
                    .get(30, TimeUnit.SECONDS)
                    .finalizedFeatures()
                    .get("transaction.version");
            // the epoch the transaction's records carry: under transactions v2 its commit bumped the epoch by one
            short dataEpoch = (short) (committed.producerEpoch() - (tv != null && tv.maxVersionLevel() >= 2 ? 1 : 0));
            var records = MemoryRecords.withTransactionalRecords(
                    Compression.NONE,
                    committed.producerId(),
                    dataEpoch,
                    0,
                    new SimpleRecord(bytes("lost 1")),
                    new SimpleRecord(bytes("lost 2")));
            var data = new ProduceRequestData()
                    .setAcks((short) -1)
                    .setTimeoutMs(30_000)
                    .setTransactionalId("t1")
                    .setTopicData(new ProduceRequestData.TopicProduceDataCollection(
                            List.of(new ProduceRequestData.TopicProduceData()
                                            .setName("b")
                                            .setPartitionData(List.of(new ProduceRequestData.PartitionProduceData()
                                                    .setIndex(0)
                                                    .setRecords(records))))
                                    .iterator()));
            Node leader = admin.describeTopics(List.of("b"))
                    .allTopicNames()
                    .get(30, TimeUnit.SECONDS)
                    .get("b")
                    .partitions()
                    .get(0)
                    .leader();
            ProduceResponse produced = (ProduceResponse) CommitMarkers.exchange(
                    leader,
                    ProduceRequest.builder(data, true).build(ProduceRequest.LAST_STABLE_VERSION_BEFORE_TRANSACTION_V2));
            assertThat(produced.errorCounts()).containsOnlyKeys(Errors.NONE);
            assertThat(endOffset(admin, b, IsolationLevel.READ_UNCOMMITTED)).isEqualTo(2);
            assertThat(endOffset(admin, b, IsolationLevel.READ_COMMITTED))
                    .as("read_committed readers stop before the records without a marker")
                    .isZero();

            HangingTransactions.Outcome outcome = HangingTransactions.resolve(admin, Duration.ofSeconds(15));

            assertThat(outcome.committed())
                    .containsExactly("b-0 producer " + committed.producerId() + " epoch " + dataEpoch
                            + " from offset 0 (t1, CompleteCommit)");
            assertThat(outcome.aborted()).isEmpty();
            assertThat(outcome.leftHanging()).isEmpty();
            assertThat(endOffset(admin, b, IsolationLevel.READ_COMMITTED)).isEqualTo(3);
            assertThat(readCommitted(kafka.bootstrapServers(), b, 2))
                    .as("committed, not aborted: read_committed readers get both records")
                    .containsExactly("lost 1", "lost 2");
            HangingTransactions.Outcome again = HangingTransactions.resolve(admin, Duration.ofSeconds(15));
            assertThat(again.committed()).isEmpty();
            assertThat(again.aborted()).isEmpty();
        }
    }

    private static long endOffset(Admin admin, TopicPartition tp, IsolationLevel isolation) throws Exception {
        return admin.listOffsets(Map.of(tp, OffsetSpec.latest()), new ListOffsetsOptions(isolation))
                .partitionResult(tp)
                .get(30, TimeUnit.SECONDS)
                .offset();
    }

    /** The first {@code n} records of {@code tp} a read_committed consumer gets, within 30 s. */
    private static List<String> readCommitted(String bootstrap, TopicPartition tp, int n) {
        Map<String, Object> cc = new java.util.HashMap<>(ClientDefaults.consumer(bootstrap, "reader"));
        cc.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<String> got = new java.util.ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c =
                new KafkaConsumer<>(cc, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (got.size() < n && System.nanoTime() < deadline) {
                c.poll(Duration.ofMillis(200)).forEach(r -> got.add(new String(r.value(), StandardCharsets.UTF_8)));
            }
        }
        return got;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static List<String> openTransactions(Admin admin) throws Exception {
        List<ProducerState> producers = admin.describeProducers(List.of(OFFSETS))
                .partitionResult(OFFSETS)
                .get(30, TimeUnit.SECONDS)
                .activeProducers();
        return producers.stream()
                .filter(p -> p.currentTransactionStartOffset().isPresent())
                .map(p -> "producer " + p.producerId() + " epoch " + p.producerEpoch() + " from "
                        + p.currentTransactionStartOffset().getAsLong())
                .toList();
    }

    private static Map<TopicPartition, OffsetAndMetadata> stableOffsets(Admin admin)
            throws InterruptedException, ExecutionException, java.util.concurrent.TimeoutException {
        return admin.listConsumerGroupOffsets(GROUP, new ListConsumerGroupOffsetsOptions().requireStable(true))
                .partitionsToOffsetAndMetadata()
                .get(30, TimeUnit.SECONDS);
    }

    private static void unpack(String resource, Path into) throws Exception {
        Path archive = into.resolve("recording.tgz");
        try (InputStream in = HangingTransactionsIT.class.getResourceAsStream(resource)) {
            Files.copy(in, archive);
        }
        Process tar = new ProcessBuilder("tar", "xzf", archive.toString(), "-C", into.toString())
                .redirectErrorStream(true)
                .start();
        assertThat(tar.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(tar.exitValue())
                .as(new String(tar.getInputStream().readAllBytes()))
                .isZero();
    }
}
