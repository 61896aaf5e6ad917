package dev.sluice.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsOptions;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
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
