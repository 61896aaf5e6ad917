package dev.sluice.sinks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.kafka.metrics.ComponentMetrics;
import dev.sluice.kafka.metrics.PipelineMetrics;
import dev.sluice.pipeline.MeasureDef;
import dev.sluice.pipeline.ViewDef;
import dev.sluice.wire.Accumulator;
import dev.sluice.wire.ViewRecord;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/**
 * What every sink that keeps its own offsets shares: the backoff between retries, giving up after 30 failed writes
 * in a row (so an orchestrator restarts the sink), and skipping an unreadable view record instead of stopping.
 */
class SinkConsumerTest {
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final ComponentMetrics metrics = new PipelineMetrics(registry).sink("warehouse");

    double counter(String meter, String tag, String value) {
        return registry.get(meter)
                .tags("component", "sink", "name", "warehouse", tag, value)
                .counter()
                .count();
    }

    @Test
    void theBackoffStartsAt200MillisecondsAndDoublesUpTo30Seconds() {
        assertThat(SinkConsumer.backoffMillis(0)).isEqualTo(200);
        assertThat(SinkConsumer.backoffMillis(1)).isEqualTo(200);
        assertThat(SinkConsumer.backoffMillis(2)).isEqualTo(400);
        assertThat(SinkConsumer.backoffMillis(3)).isEqualTo(800);
        assertThat(SinkConsumer.backoffMillis(8)).isEqualTo(25_600);
        assertThat(SinkConsumer.backoffMillis(9)).isEqualTo(30_000);
        assertThat(SinkConsumer.backoffMillis(30)).isEqualTo(30_000);
        assertThat(SinkConsumer.backoffMillis(Integer.MAX_VALUE)).isEqualTo(30_000);
    }

    @Test
    void theThirtiethFailedWriteInARowStopsTheSinkAndEachIsCounted() throws Exception {
        SinkConsumer.WriteFailures f = new SinkConsumer.WriteFailures("duckdb sink 'warehouse'", metrics);
        assertThat(f.none()).isTrue();
        IOException boom = new IOException("disk full");
        for (int i = 1; i < SinkConsumer.WriteFailures.MAX; i++) {
            f.backOff(boom, () -> false); // a closing sink: no wait
            assertThat(f.none()).isFalse();
        }
        assertThatThrownBy(() -> f.backOff(boom, () -> false))
                .isInstanceOf(IllegalStateException.class)
                .hasCause(boom)
                .hasMessage(
                        "duckdb sink 'warehouse': 30 writes in a row failed; the last: java.io.IOException: disk full");
        assertThat(counter("sluice.errors", "stage", "write")).isEqualTo(30);
        assertThat(SinkConsumer.WriteFailures.MAX).isEqualTo(30);
    }

    @Test
    void aWriteThatWorksStartsTheCountAgain() throws Exception {
        SinkConsumer.WriteFailures f = new SinkConsumer.WriteFailures("s", metrics);
        IOException boom = new IOException("x");
        for (int i = 1; i < SinkConsumer.WriteFailures.MAX; i++) {
            f.backOff(boom, () -> false);
        }
        f.succeeded();
        assertThat(f.none()).isTrue();
        for (int i = 1; i < SinkConsumer.WriteFailures.MAX; i++) {
            f.backOff(boom, () -> false);
        }
        assertThatThrownBy(() -> f.backOff(boom, () -> false)).hasMessageStartingWith("s: 30 writes in a row");
    }

    @Test
    void aBackoffWaitsItsTime() throws Exception {
        SinkConsumer.WriteFailures f = new SinkConsumer.WriteFailures("s", metrics);
        long started = System.nanoTime();
        f.backOff(new IOException("x"), () -> true);
        long waitedMs = (System.nanoTime() - started) / 1_000_000;
        assertThat(waitedMs).as("the first retry waits 200 ms").isBetween(200L, 5_000L);
    }

    @Test
    void aPauseWaitsAtLeastItsTimeWhileRunning() throws Exception {
        long started = System.nanoTime();
        SinkConsumer.pause(150, () -> true);
        assertThat((System.nanoTime() - started) / 1_000_000).isBetween(150L, 5_000L);
    }

    @Test
    void aPauseEndsSoonOnceTheSinkCloses() throws Exception {
        AtomicInteger asked = new AtomicInteger();
        long started = System.nanoTime();
        SinkConsumer.pause(60_000, () -> asked.incrementAndGet() < 3);
        long waitedMs = (System.nanoTime() - started) / 1_000_000;
        assertThat(asked.get()).isEqualTo(3);
        assertThat(waitedMs).as("two naps of at most 100 ms").isLessThan(5_000L);
    }

    @Test
    void aReadableViewRecordIsDecodedAndAnUnreadableOneSkippedAndCounted() {
        List<MeasureDef> measures = List.of(new MeasureDef("n", MeasureDef.Kind.COUNT, null));
        ViewDef v = new ViewDef("v", "sales", new LinkedHashMap<>(), null, null, List.of("country"), measures);
        Accumulator acc = new Accumulator(measures);
        acc.add(Map.of());
        byte[] good = new ViewRecord(ViewRecord.Kind.UPDATE, 0, 1, List.of("DE"), 1, 5, null, acc).encode(v);

        ViewRecord r = SinkConsumer.decodeView(v, new ConsumerRecord<>("shop.view.v", 0, 7, null, good), metrics);
        assertThat(r.group()).containsExactly("DE");
        assertThat(r.version()).isEqualTo(1);
        assertThat(counter("sluice.events.discarded", "reason", "invalid")).isZero();

        byte[] bad = "{\"kind\":\"update\"}".getBytes(StandardCharsets.UTF_8);
        assertThat(SinkConsumer.decodeView(v, new ConsumerRecord<>("shop.view.v", 0, 8, null, bad), metrics))
                .isNull();
        assertThat(counter("sluice.events.discarded", "reason", "invalid")).isEqualTo(1);
    }
}
