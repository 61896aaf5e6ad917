package dev.sluice.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.kafka.ClientDefaults;
import dev.sluice.pipeline.Pipeline;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** Looks at the last records of a topic: recent events of a stream, recent dead letters. */
final class Inspect {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Inspect() {}

    /** Up to {@code limit} of the newest records of {@code topic}, newest first. */
    static List<ConsumerRecord<byte[], byte[]>> tail(String bootstrap, String topic, int limit) {
        Map<String, Object> c = ClientDefaults.consumer(bootstrap, "unused");
        c.remove("group.id");
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = consumer.partitionsFor(topic, Duration.ofSeconds(5)).stream()
                    .map(p -> new TopicPartition(topic, p.partition()))
                    .toList();
            consumer.assign(parts);
            Map<TopicPartition, Long> ends = consumer.endOffsets(parts);
            Map<TopicPartition, Long> begins = consumer.beginningOffsets(parts);
            long wanted = 0;
            for (TopicPartition tp : parts) {
                long from = Math.max(begins.get(tp), ends.get(tp) - limit);
                consumer.seek(tp, from);
                wanted += ends.get(tp) - from;
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            while (out.size() < wanted && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    out.add(r);
                }
                boolean done = true;
                for (TopicPartition tp : parts) {
                    done &= consumer.position(tp) >= ends.get(tp);
                }
                if (done) {
                    break;
                }
            }
        }
        out.sort((a, b) -> Long.compare(b.timestamp(), a.timestamp()));
        return out.subList(0, Math.min(limit, out.size()));
    }

    static ObjectNode recentEvents(String bootstrap, Pipeline p, String stream, int limit) {
        ObjectNode o = JSON.createObjectNode();
        ArrayNode events = o.putArray("events");
        for (ConsumerRecord<byte[], byte[]> r : tail(bootstrap, p.streamTopic(stream), limit)) {
            try {
                events.add(JSON.readTree(r.value()));
            } catch (Exception e) {
                events.add(new String(r.value(), StandardCharsets.UTF_8));
            }
        }
        return o;
    }

    static ObjectNode deadLetters(String bootstrap, Pipeline p, int limit) {
        ObjectNode o = JSON.createObjectNode();
        ArrayNode entries = o.putArray("entries");
        for (ConsumerRecord<byte[], byte[]> r : tail(bootstrap, p.dlqTopic(), limit)) {
            ObjectNode e = entries.addObject();
            e.put("offset", r.partition() + "@" + r.offset());
            e.put("stream", header(r, "sluice.stream"));
            e.put("view", header(r, "sluice.view"));
            e.put("stage", header(r, "sluice.error.stage"));
            e.put("rule", header(r, "sluice.error.rule"));
            e.put("field", header(r, "sluice.error.field"));
            e.put("reason", header(r, "sluice.error.reason"));
            e.put("origin", header(r, "sluice.origin"));
            String value = r.value() == null ? "" : new String(r.value(), StandardCharsets.UTF_8);
            e.put("value", value.length() > 2000 ? value.substring(0, 2000) + "…" : value);
        }
        return o;
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
