package dev.sluice.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.kafka.testing.SharedKafka;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A Kafka Streams application with exactly_once_v2 and a state store runs against the embedded broker. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StreamsEosIT {

    @TempDir
    Path tmp;

    @Test
    void exactlyOnceV2CountWorks() throws Exception {
        EmbeddedKafka kafka = SharedKafka.get();
        String in = SharedKafka.uniqueName("eos-in");
        String out = SharedKafka.uniqueName("eos-out");
        try (Admin admin = Admin.create(ClientDefaults.admin(kafka.bootstrapServers()))) {
            KafkaTopics.ensureTopic(admin, in, 2, Map.of());
            KafkaTopics.ensureTopic(admin, out, 2, Map.of());
        }
        StreamsBuilder b = new StreamsBuilder();
        b.stream(in, Consumed.with(Serdes.String(), Serdes.String()))
                .groupByKey()
                .count()
                .toStream()
                .to(out, Produced.with(Serdes.String(), Serdes.Long()));
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, SharedKafka.uniqueName("eos-app"));
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.STATE_DIR_CONFIG, tmp.toString());
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        try (KafkaStreams streams = new KafkaStreams(b.build(), p)) {
            streams.start();
            try (KafkaProducer<byte[], byte[]> prod =
                    new KafkaProducer<>(ClientDefaults.producer(kafka.bootstrapServers()))) {
                for (String k : List.of("a", "b", "a", "a")) {
                    prod.send(new ProducerRecord<>(in, bytes(k), bytes("x"))).get(30, TimeUnit.SECONDS);
                }
            }
            List<String> got = new ArrayList<>();
            try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(
                    ClientDefaults.consumer(kafka.bootstrapServers(), SharedKafka.uniqueName("g")))) {
                c.subscribe(List.of(out));
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(45);
                while (got.size() < 4 && System.nanoTime() < deadline) {
                    for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                        got.add(new String(r.key(), StandardCharsets.UTF_8) + "="
                                + Serdes.Long().deserializer().deserialize(out, r.value()));
                    }
                }
            }
            assertThat(got).containsExactlyInAnyOrder("a=1", "b=1", "a=2", "a=3");
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
