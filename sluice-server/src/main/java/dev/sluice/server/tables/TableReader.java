package dev.sluice.server.tables;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.kafka.ClientDefaults;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.TableDef;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's copy of the pipeline's tables, for {@code GET /v1/tables/{table}}: one consumer thread reads each
 * table's compacted topic ({@code <pipeline>.table.<table>}, read_committed) from its beginning and keeps the
 * latest row per key in memory, so a key reads back what the processor last committed for it, whichever task
 * owns it. A table's rows are held here whole: the topic is compacted to one record per key.
 *
 * <p>Keys are looked up by their values as text ({@code ?key=AAPL}, or one parameter per key field), so a
 * caller need not know a field's JSON type.
 */
public final class TableReader implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TableReader.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Pipeline pipeline;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Map<String, String> tableOfTopic = new LinkedHashMap<>();
    /** Per table: the key's values as text, joined by a NUL → the row, in key order. */
    private final Map<String, ConcurrentSkipListMap<String, JsonNode>> rows = new ConcurrentHashMap<>();

    private final Thread thread;
    private volatile boolean running = true;

    public TableReader(Pipeline pipeline, String bootstrap) {
        this.pipeline = pipeline;
        Map<String, Object> c = ClientDefaults.consumer(bootstrap, "unused");
        c.remove("group.id");
        this.consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> parts = new ArrayList<>();
        for (TableDef t : pipeline.tables().values()) {
            String topic = pipeline.tableTopic(t.name());
            tableOfTopic.put(topic, t.name());
            rows.put(t.name(), new ConcurrentSkipListMap<>());
            consumer.partitionsFor(topic).forEach(p -> parts.add(new TopicPartition(topic, p.partition())));
        }
        consumer.assign(parts);
        consumer.seekToBeginning(parts);
        this.thread = new Thread(this::loop, "sluice-table-reader");
        thread.setDaemon(true);
    }

    public void start() {
        if (!tableOfTopic.isEmpty()) {
            thread.start();
        }
    }

    private void loop() {
        try {
            while (running) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    apply(tableOfTopic.get(r.topic()), r.value());
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            log.error("Table reader stopped: {}", e.toString(), e);
        }
    }

    private void apply(String table, byte[] value) {
        if (table == null || value == null) {
            return;
        }
        try {
            JsonNode row = JSON.readTree(value);
            rows.get(table).put(keyText(row.path("key")), row);
        } catch (java.io.IOException e) {
            log.warn("Unreadable row in table {}: {}", table, e.toString());
        }
    }

    private static String keyText(JsonNode key) {
        List<String> parts = new ArrayList<>();
        key.properties().forEach(e -> parts.add(e.getValue().asText()));
        return String.join("\u0000", parts);
    }

    /** The row of the key whose values, as text and in the table's key order, are {@code values}. */
    public Optional<JsonNode> row(String table, List<String> values) {
        return Optional.ofNullable(rows.get(table).get(String.join("\u0000", values)));
    }

    /** Up to {@code limit} rows of the table, in key order. */
    public List<JsonNode> rows(String table, int limit) {
        return rows.get(table).values().stream().limit(limit).toList();
    }

    /** How many keys the table holds. */
    public int size(String table) {
        return rows.get(table).size();
    }

    public Pipeline pipeline() {
        return pipeline;
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        consumer.close();
    }
}
