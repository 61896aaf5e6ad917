package dev.sluice.kafka.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.kafka.ClientDefaults;
import dev.sluice.kafka.KafkaTopics;
import dev.sluice.kafka.testing.SharedKafka;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Lag counts records, not offsets: on a partition written in transactions (one commit marker after each), a group
 * that committed the offset after its last record has nothing left to read and reads 0, where the offset difference
 * says 1; records still waiting are counted one each, however many markers lie between them; and a transaction not
 * yet committed is not lag yet.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ConsumerLagIT {

    @Test
    void lagCountsRecordsAndNeverTransactionMarkers() throws Exception {
        String bootstrap = SharedKafka.get().bootstrapServers();
        String topic = SharedKafka.uniqueName("lag-txn");
        String group = SharedKafka.uniqueName("lag-group");
        TopicPartition tp = new TopicPartition(topic, 0);
        Map<String, Object> config = ClientDefaults.producer(bootstrap);
        config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, SharedKafka.uniqueName("lag-txn-producer"));
        try (Admin admin = Admin.create(ClientDefaults.admin(bootstrap));
                KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(config);
                WaitingRecords waiting = new WaitingRecords(bootstrap)) {
            KafkaTopics.ensureTopic(admin, topic, 1, Map.of());
            producer.initTransactions();
            // offsets 0-2 records, 3 marker; 4 record, 5 marker; 6-7 records, 8 marker
            transaction(producer, topic, 3);
            transaction(producer, topic, 1);
            transaction(producer, topic, 2);
            awaitStable(admin, tp, 9);
            ConsumerLag lag = new ConsumerLag(admin, waiting, List.of(group), Clock.systemUTC());

            // caught up as a consumer that commits its last record's offset + 1 is: the final marker is not lag
            commit(admin, group, tp, 8);
            ConsumerLag.PartitionLag caughtUp = lag.sample().get(0);
            assertThat(caughtUp.logEndOffset() - caughtUp.currentOffset())
                    .as("the offset difference")
                    .isEqualTo(1);
            assertThat(caughtUp.lag()).as("records left to read").isZero();
            assertThat(caughtUp.lagSeconds()).isZero();

            // behind by the last four records, with two markers among them
            commit(admin, group, tp, 2);
            ConsumerLag.PartitionLag behind = lag.sample().get(0);
            assertThat(behind.logEndOffset() - behind.currentOffset()).isEqualTo(7);
            assertThat(behind.lag()).isEqualTo(4);
            assertThat(lag.prometheus(List.of(behind)))
                    .contains("kafka_consumergroup_lag{consumergroup=\"" + group + "\",topic=\"" + topic
                            + "\",partition=\"0\"} 4\n");

            // an open transaction's records are not readable yet: not lag until they commit
            commit(admin, group, tp, 9);
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, 0, null, "open".getBytes(StandardCharsets.UTF_8)));
            producer.flush();
            assertThat(lag.sample().get(0).lag()).isZero();
            producer.commitTransaction();
            awaitStable(admin, tp, 11);
            assertThat(lag.sample().get(0).lag()).isEqualTo(1);
        }
    }

    static void transaction(KafkaProducer<byte[], byte[]> p, String topic, int records) {
        p.beginTransaction();
        for (int i = 0; i < records; i++) {
            p.send(new ProducerRecord<>(topic, 0, null, ("r" + i).getBytes(StandardCharsets.UTF_8)));
        }
        p.commitTransaction();
    }

    /** Waits until the partition's last stable offset is {@code offset}: the markers are written after the commit. */
    static void awaitStable(Admin admin, TopicPartition tp, long offset) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        long stable = -1;
        while (System.nanoTime() < deadline) {
            stable = admin.listOffsets(
                            Map.of(tp, OffsetSpec.latest()), new ListOffsetsOptions(IsolationLevel.READ_COMMITTED))
                    .partitionResult(tp)
                    .get(30, TimeUnit.SECONDS)
                    .offset();
            if (stable == offset) {
                return;
            }
            Thread.sleep(50);
        }
        assertThat(stable).as("last stable offset of %s", tp).isEqualTo(offset);
    }

    static void commit(Admin admin, String group, TopicPartition tp, long offset) throws Exception {
        admin.alterConsumerGroupOffsets(group, Map.of(tp, new OffsetAndMetadata(offset)))
                .all()
                .get(30, TimeUnit.SECONDS);
    }
}
