package dev.sluice.cli.loadgen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The scenario's events: reproducible from the seed, valid unless made malformed, faults in proportion. */
class EventSourceTest {
    static final long START = 1_790_000_000_000L;

    static List<String> events(Scenario s, long seed, int n) {
        EventSource src = new EventSource(s, seed, s.rate(), START);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            EventSource.Generated g = src.next();
            out.add(g.kind() + " " + (g.line() != null ? g.line() : g.event().toString()));
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"ecommerce", "fintech", "fraud", "iot"})
    void theSameSeedGivesTheSameEventsAndTheyKeepTheContract(String example) throws Exception {
        Scenario s = Scenario.load(Path.of("..", "examples", example, "loadgen.yaml"));
        List<String> a = events(s, 7, 20_000);
        assertThat(events(s, 7, 20_000)).isEqualTo(a);
        assertThat(events(s, 8, 20_000)).isNotEqualTo(a);

        var schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012)
                .getSchema(s.stream().schema());
        EventSource src = new EventSource(s, 7, s.rate(), START);
        Map<EventSource.Kind, Integer> kinds = new EnumMap<>(EventSource.Kind.class);
        Set<String> ids = new HashSet<>();
        long lastTime = Long.MIN_VALUE;
        int n = 20_000;
        for (int i = 0; i < n; i++) {
            EventSource.Generated g = src.next();
            kinds.merge(g.kind(), 1, Integer::sum);
            if (g.kind() == EventSource.Kind.MALFORMED) {
                assertThat(g.line() != null || !schema.validate(g.event()).isEmpty())
                        .as("malformed event %s breaks the contract", g.id())
                        .isTrue();
                continue;
            }
            JsonNode e = g.event();
            assertThat(schema.validate(e)).as("event %s: %s", i, e).isEmpty();
            assertThat(ids.add(g.id()))
                    .as("ids repeat only for duplicates")
                    .isEqualTo(g.kind() != EventSource.Kind.DUPLICATE);
            if (g.kind() == EventSource.Kind.NORMAL) {
                assertThat(g.eventTimeMs()).isGreaterThanOrEqualTo(lastTime);
                lastTime = g.eventTimeMs();
            }
        }
        // 1 % duplicates, 5 % out of order, 1 % late, 0.5 % too late, 0.5 % malformed: within a third
        assertThat(kinds.get(EventSource.Kind.DUPLICATE)).isBetween(n / 100 * 2 / 3, n / 100 * 4 / 3);
        assertThat(kinds.get(EventSource.Kind.OUT_OF_ORDER)).isBetween(n / 20 * 2 / 3, n / 20 * 4 / 3);
        assertThat(kinds.get(EventSource.Kind.MALFORMED)).isBetween(n / 200 * 2 / 3, n / 200 * 4 / 3);
        assertThat(kinds.get(EventSource.Kind.TOO_LATE)).isBetween(n / 200 * 2 / 3, n / 200 * 4 / 3);
    }

    @Test
    void aLateEventIsBehindTheWindowButWithinGraceAndATooLateOneBeyond() throws Exception {
        Scenario s = Scenario.load(Path.of("..", "examples", "ecommerce", "loadgen.yaml"));
        var w = s.pipeline().views().get("gmv_by_country").window();
        long size = w.size().toMillis();
        long grace = w.grace().toMillis();
        EventSource src = new EventSource(s, 1, s.rate(), START);
        int late = 0;
        for (int i = 0; i < 50_000; i++) {
            EventSource.Generated g = src.next();
            long scheduled = START + g.dueNanos() / 1_000_000;
            if (g.kind() == EventSource.Kind.LATE) {
                late++;
                assertThat(scheduled - g.eventTimeMs()).isBetween(size, size + grace);
            } else if (g.kind() == EventSource.Kind.TOO_LATE) {
                assertThat(scheduled - g.eventTimeMs()).isGreaterThanOrEqualTo(size + grace);
            }
        }
        assertThat(late).isPositive();
    }

    @Test
    void aBadScenarioIsRefusedNamingTheKey(@TempDir Path dir) throws Exception {
        Path ex = Path.of("..", "examples", "ecommerce").toAbsolutePath();
        String good = Files.readString(ex.resolve("loadgen.yaml"))
                .replace("pipeline: pipeline.yaml", "pipeline: " + ex.resolve("pipeline.yaml"));
        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, good.replace("amount: {normal:", "amount: {normally:"));
        assertThatThrownBy(() -> Scenario.load(bad))
                .hasMessageContaining("bad.yaml")
                .hasMessageContaining("fields.amount")
                .hasMessageContaining("unknown generator 'normally'");
        Files.writeString(bad, good.replace("stream: orders", "stream: order"));
        assertThatThrownBy(() -> Scenario.load(bad)).hasMessageContaining("stream: 'order' is not a stream");
        Files.writeString(bad, good.replace("duplicates: 1", "duplicates: 150"));
        assertThatThrownBy(() -> Scenario.load(bad)).hasMessageContaining("inject.duplicates");
    }
}
