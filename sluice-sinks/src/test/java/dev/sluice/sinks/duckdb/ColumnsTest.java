package dev.sluice.sinks.duckdb;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.pipeline.MeasureDef;
import dev.sluice.pipeline.StreamDef;
import dev.sluice.pipeline.ViewDef;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How a stream's JSON Schema and a view's measures become DuckDB tables. */
class ColumnsTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static StreamDef stream(String properties) throws Exception {
        return new StreamDef(
                "orders",
                Path.of("orders.json"),
                JSON.readTree("{\"type\":\"object\",\"properties\":{" + properties + "}}"),
                "event_id",
                "created_at",
                null,
                1,
                Duration.ofDays(1),
                Duration.ofHours(1));
    }

    @Test
    void eachSchemaPropertyIsAColumnAndTheTimeATimestamp() throws Exception {
        StreamDef s = stream("\"event_id\":{\"type\":\"string\"},\"created_at\":{\"type\":\"string\"},"
                + "\"qty\":{\"type\":\"integer\"},\"amount\":{\"type\":\"number\"},\"paid\":{\"type\":\"boolean\"},"
                + "\"tags\":{\"type\":\"array\"},\"note\":{}");
        assertThat(Columns.raw(s))
                .containsExactly(
                        new Columns.Column("event_id", "VARCHAR", "string"),
                        new Columns.Column("created_at", "TIMESTAMP", "string"),
                        new Columns.Column("qty", "BIGINT", "integer"),
                        new Columns.Column("amount", "DOUBLE", "number"),
                        new Columns.Column("paid", "BOOLEAN", "boolean"),
                        new Columns.Column("tags", "VARCHAR", "array"),
                        new Columns.Column("note", "VARCHAR", ""));
    }

    @Test
    void anIdTheSchemaDoesNotDeclareIsTheFirstColumn() throws Exception {
        StreamDef s = stream("\"created_at\":{\"type\":\"string\"},\"amount\":{\"type\":\"number\"}");
        assertThat(Columns.raw(s))
                .extracting(Columns.Column::name, Columns.Column::type)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("event_id", "VARCHAR"),
                        org.assertj.core.groups.Tuple.tuple("created_at", "TIMESTAMP"),
                        org.assertj.core.groups.Tuple.tuple("amount", "DOUBLE"));
    }

    @Test
    void groupColumnsTakeTheSchemaTypeAndDerivedOnesAreText() throws Exception {
        StreamDef s = stream("\"qty\":{\"type\":\"integer\"},\"country\":{\"type\":\"string\"}");
        assertThat(Columns.groupType(s, "qty")).isEqualTo("BIGINT");
        assertThat(Columns.groupType(s, "country")).isEqualTo("VARCHAR");
        assertThat(Columns.groupType(s, "derived_size")).isEqualTo("VARCHAR");
    }

    @Test
    void countsAreIntegersAndEveryOtherMeasureADouble() {
        for (MeasureDef.Kind k : MeasureDef.Kind.values()) {
            String expected = k == MeasureDef.Kind.COUNT || k == MeasureDef.Kind.COUNT_DISTINCT ? "BIGINT" : "DOUBLE";
            assertThat(Columns.measureType(new MeasureDef("m", k, "x")))
                    .as(k.name())
                    .isEqualTo(expected);
        }
    }

    @Test
    void aViewTableHasWindowGroupMeasuresAndBookkeeping() {
        ViewDef v = new ViewDef(
                "gmv",
                "orders",
                new LinkedHashMap<>(),
                null,
                null,
                List.of("country", "currency"),
                List.of(
                        new MeasureDef("orders", MeasureDef.Kind.COUNT, null),
                        new MeasureDef("gmv", MeasureDef.Kind.SUM, "amount")));
        assertThat(Columns.viewColumnNames(v))
                .containsExactly(
                        "window_start",
                        "window_end",
                        "country",
                        "currency",
                        "orders",
                        "gmv",
                        "version",
                        "watermark",
                        "updated_at",
                        "_group_key",
                        "_state");
    }

    @Test
    void identifiersAreDoubleQuotedWithQuotesDoubled() {
        assertThat(Columns.quote("amount")).isEqualTo("\"amount\"");
        assertThat(Columns.quote("a\"b")).isEqualTo("\"a\"\"b\"");
    }
}
