package dev.sluice.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.kafka.testing.SharedKafka;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EmbeddedKafkaIT {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedKafkaIT.class);

    @TempDir
    Path tmp;

    @Test
    void idempotentProducerRoundTrip() throws Exception {
        EmbeddedKafka kafka = SharedKafka.get();
        String topic = SharedKafka.uniqueName("roundtrip");
        try (Admin admin = Admin.create(ClientDefaults.admin(kafka.bootstrapServers()))) {
            KafkaTopics.ensureTopic(admin, topic, 2, Map.of());
        }
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(ClientDefaults.producer(kafka.bootstrapServers()))) {
            for (int i = 0; i < 10; i++) {
                p.send(new ProducerRecord<>(topic, bytes("k" + i), bytes("v" + i)))
                        .get(30, TimeUnit.SECONDS);
            }
        }
        List<String> got = consume(kafka.bootstrapServers(), SharedKafka.uniqueName("g"), topic, 10);
        assertThat(got).containsExactlyInAnyOrder("v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9");
    }

    @Test
    void readCommittedSeesOnlyCommittedTransactions() throws Exception {
        EmbeddedKafka kafka = SharedKafka.get();
        String topic = SharedKafka.uniqueName("tx");
        String out = SharedKafka.uniqueName("tx-out");
        try (Admin admin = Admin.create(ClientDefaults.admin(kafka.bootstrapServers()))) {
            KafkaTopics.ensureTopic(admin, topic, 1, Map.of());
            KafkaTopics.ensureTopic(admin, out, 1, Map.of());
        }
        Map<String, Object> cfg = new HashMap<>(ClientDefaults.producer(kafka.bootstrapServers()));
        cfg.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, SharedKafka.uniqueName("txid"));
        cfg.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 20_000);
        String group = SharedKafka.uniqueName("eos");
        TopicPartition tp = new TopicPartition(topic, 0);
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(cfg);
                KafkaConsumer<byte[], byte[]> consumer =
                        new KafkaConsumer<>(ClientDefaults.consumer(kafka.bootstrapServers(), group))) {
            p.initTransactions();
            p.beginTransaction();
            p.send(new ProducerRecord<>(topic, bytes("committed-1")));
            p.send(new ProducerRecord<>(topic, bytes("committed-2")));
            p.commitTransaction();
            p.beginTransaction();
            p.send(new ProducerRecord<>(topic, bytes("aborted")));
            p.flush();
            p.abortTransaction();
            p.beginTransaction();
            p.send(new ProducerRecord<>(topic, bytes("committed-3")));
            p.commitTransaction();

            // consume-transform-produce with the offsets committed in the transaction, as Streams EOS v2 does
            consumer.subscribe(List.of(topic));
            List<String> got = new ArrayList<>();
            long next = -1;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (got.size() < 3 && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    got.add(string(r.value()));
                    next = r.offset() + 1;
                }
            }
            assertThat(got).containsExactly("committed-1", "committed-2", "committed-3");
            p.beginTransaction();
            for (String v : got) {
                p.send(new ProducerRecord<>(out, bytes(v.toUpperCase(Locale.ROOT))));
            }
            p.sendOffsetsToTransaction(Map.of(tp, new OffsetAndMetadata(next)), consumer.groupMetadata());
            p.commitTransaction();
        }
        assertThat(consume(kafka.bootstrapServers(), SharedKafka.uniqueName("g"), out, 3))
                .containsExactly("COMMITTED-1", "COMMITTED-2", "COMMITTED-3");
        try (Admin admin = Admin.create(ClientDefaults.admin(kafka.bootstrapServers()))) {
            OffsetAndMetadata committed = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata()
                    .get(20, TimeUnit.SECONDS)
                    .get(tp);
            assertThat(committed).isNotNull();
            // offsets 0,1 committed, 2 marker, 3 aborted, 4 marker, 5 committed-3: the group resumes after it
            assertThat(committed.offset()).isEqualTo(6L);
        }
    }

    @Test
    void restartKeepsRecordsAndCommittedOffsets() throws Exception {
        Path dir = tmp.resolve("restart");
        String topic = "restart-topic";
        String group = "restart-group";
        TopicPartition tp = new TopicPartition(topic, 0);
        String clusterId;
        int firstPort;
        long t0 = System.nanoTime();
        try (EmbeddedKafka kafka = EmbeddedKafka.start(dir, 0)) {
            log.info("fresh broker start took {} ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
            clusterId = kafka.clusterId();
            firstPort = kafka.port();
            try (Admin admin = Admin.create(ClientDefaults.admin(kafka.bootstrapServers()))) {
                KafkaTopics.ensureCompactedTopic(admin, "restart-compacted", 1);
                KafkaTopics.ensureTopic(admin, topic, 1, Map.of());
            }
            try (KafkaProducer<byte[], byte[]> p =
                    new KafkaProducer<>(ClientDefaults.producer(kafka.bootstrapServers()))) {
                for (int i = 0; i < 5; i++) {
                    p.send(new ProducerRecord<>(topic, bytes("r" + i))).get(30, TimeUnit.SECONDS);
                }
            }
            try (KafkaConsumer<byte[], byte[]> consumer =
                    new KafkaConsumer<>(ClientDefaults.consumer(kafka.bootstrapServers(), group))) {
                consumer.subscribe(List.of(topic));
                int seen = 0;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (seen < 3 && System.nanoTime() < deadline) {
                    seen += consumer.poll(Duration.ofMillis(200)).count();
                }
                assertThat(seen).isGreaterThanOrEqualTo(3);
                consumer.commitSync(Map.of(tp, new OffsetAndMetadata(3)));
            }
        }
        assertThat(Files.exists(dir.resolve("kafka").resolve("meta.properties")))
                .isTrue();

        long t1 = System.nanoTime();
        try (EmbeddedKafka kafka = EmbeddedKafka.start(dir, 0)) {
            log.info("restart took {} ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t1));
            assertThat(kafka.clusterId()).isEqualTo(clusterId);
            log.info("restarted on port {} (was {})", kafka.port(), firstPort);
            try (Admin admin = Admin.create(ClientDefaults.admin(kafka.bootstrapServers()))) {
                assertThat(KafkaTopics.exists(admin, topic)).isTrue();
                assertThat(KafkaTopics.exists(admin, "restart-compacted")).isTrue();
                Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(group)
                        .partitionsToOffsetAndMetadata()
                        .get(20, TimeUnit.SECONDS);
                assertThat(offsets.get(tp)).isNotNull();
                assertThat(offsets.get(tp).offset()).isEqualTo(3L);
            }
            assertThat(consume(kafka.bootstrapServers(), "fresh-group", topic, 5))
                    .containsExactly("r0", "r1", "r2", "r3", "r4");
            // the old group resumes at its committed offset
            Map<String, Object> c = new HashMap<>(ClientDefaults.consumer(kafka.bootstrapServers(), group));
            c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
            try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c)) {
                consumer.assign(List.of(tp));
                assertThat(consumer.position(tp, Duration.ofSeconds(20))).isEqualTo(3L);
            }
            kafka.close();
            kafka.close(); // idempotent
        }
    }

    @Test
    void portAlreadyTakenFailsNamingThePort() throws Exception {
        try (ServerSocket blocker = new ServerSocket()) {
            blocker.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
            int port = blocker.getLocalPort();
            assertThatThrownBy(() -> EmbeddedKafka.start(tmp.resolve("taken"), port))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(String.valueOf(port))
                    .hasMessageContaining("already in use");
        }
    }

    @Test
    void ensureTopicIsIdempotent() throws Exception {
        EmbeddedKafka kafka = SharedKafka.get();
        String topic = SharedKafka.uniqueName("twice");
        try (Admin admin = Admin.create(ClientDefaults.admin(kafka.bootstrapServers()))) {
            assertThat(KafkaTopics.exists(admin, topic)).isFalse();
            assertThat(KafkaTopics.ensureTopic(admin, topic, 3, Map.of("retention.ms", "3600000")))
                    .isTrue();
            assertThat(KafkaTopics.ensureTopic(admin, topic, 3, Map.of("retention.ms", "3600000")))
                    .isFalse();
            // more partitions than exist: left alone, warning only
            assertThat(KafkaTopics.ensureTopic(admin, topic, 5, Map.of())).isFalse();
            assertThat(KafkaTopics.partitionCount(admin, topic)).isEqualTo(3);
            assertThat(KafkaTopics.exists(admin, topic)).isTrue();
        }
    }

    private static List<String> consume(String bootstrap, String group, String topic, int expected) {
        List<String> got = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(ClientDefaults.consumer(bootstrap, group))) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (got.size() < expected && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    got.add(string(r.value()));
                }
            }
        }
        return got;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String string(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
