package dev.sluice.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PipelineLoaderTest {

    static final Path EXAMPLE = Path.of("../examples/ecommerce/pipeline.yaml");
    static final Path EXAMPLE_SCHEMA = Path.of("../examples/ecommerce/schemas/orders.schema.json");

    @TempDir
    Path dir;

    /** Writes a pipeline file next to a copy of the example's schema. */
    Path write(String yaml) throws IOException {
        Files.createDirectories(dir.resolve("schemas"));
        Files.copy(
                EXAMPLE_SCHEMA,
                dir.resolve("schemas/orders.schema.json"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Path file = dir.resolve("pipeline.yaml");
        Files.writeString(file, yaml);
        return file;
    }

    static List<String> lint(Path file, Map<String, String> env) {
        return new PipelineLoader(env)
                .lint(file).stream().map(Problem::toString).toList();
    }

    static String prefix(Path file) {
        return file.toString() + ":";
    }

    static final String MINIMAL = """
            pipeline: shop
            streams:
              orders:
                schema: schemas/orders.schema.json
                time: created_at
                id: event_id
            """;

    @Test
    void theExampleLoads() throws Exception {
        Pipeline p = new PipelineLoader(Map.of()).load(EXAMPLE);

        assertThat(p.name()).isEqualTo("ecommerce");
        assertThat(p.file()).isEqualTo(EXAMPLE);
        StreamDef orders = p.stream("orders");
        assertThat(orders.partitions())
                .as("from the ${ORDERS_PARTITIONS:-3} default")
                .isEqualTo(3);
        assertThat(orders.idField()).isEqualTo("event_id");
        assertThat(orders.timeField()).isEqualTo("created_at");
        assertThat(orders.keyField()).isEqualTo("order_id");
        assertThat(orders.retention()).isEqualTo(Duration.ofDays(7));
        assertThat(orders.dedupHorizon()).isEqualTo(Duration.ofHours(24));
        assertThat(orders.schemaFile()).isAbsolute().hasFileName("orders.schema.json");
        assertThat(orders.schema().path("properties").has("amount")).isTrue();

        assertThat(p.sources()).containsOnlyKeys("orders_http", "orders_kafka");
        assertThat(p.sources().get("orders_http"))
                .isEqualTo(new SourceDef.Http(
                        "orders_http",
                        "orders",
                        SourceDef.Http.DEFAULT_MAX_BODY_BYTES,
                        SourceDef.Http.DEFAULT_MAX_IN_FLIGHT_EVENTS));
        assertThat(p.sources().get("orders_kafka"))
                .isEqualTo(new SourceDef.Kafka("orders_kafka", "orders", "orders", "auto", "earliest"));

        ViewDef v = p.views().get("gmv_by_country");
        assertThat(v.from()).isEqualTo("orders");
        assertThat(v.derive()).isEmpty();
        assertThat(v.filter().source()).isEqualTo("status == \"paid\"");
        assertThat(v.window()).isEqualTo(WindowDef.tumbling(Duration.ofMinutes(1), Duration.ofMinutes(10)));
        assertThat(v.groupBy()).containsExactly("country", "currency");
        assertThat(v.measures())
                .containsExactly(
                        new MeasureDef("orders", MeasureDef.Kind.COUNT, null),
                        new MeasureDef("gmv", MeasureDef.Kind.SUM, "amount"),
                        new MeasureDef("buyers", MeasureDef.Kind.COUNT_DISTINCT, "user_id"));
        assertThat(p.viewsOf("orders")).containsExactly(v);

        assertThat(p.sinks()).containsExactly(Map.entry("store", new SinkDef.DuckDb("store", null, List.of())));
        assertThat(new PipelineLoader(Map.of()).lint(EXAMPLE)).isEmpty();
    }

    @Test
    void theExampleFilterWorksOnEvents() throws Exception {
        Pipeline p = new PipelineLoader(Map.of()).load(EXAMPLE);
        Expression filter = p.views().get("gmv_by_country").filter();
        var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        assertThat(filter.test(Expressions.fieldsOf(mapper.readTree("{\"status\":\"paid\",\"amount\":3}"))))
                .isTrue();
        assertThat(filter.test(Expressions.fieldsOf(mapper.readTree("{\"status\":\"placed\"}"))))
                .isFalse();
    }

    @Test
    void environmentVariablesAreInterpolated() throws Exception {
        Pipeline p = new PipelineLoader(Map.of("ORDERS_PARTITIONS", "6")).load(EXAMPLE);
        assertThat(p.stream("orders").partitions()).isEqualTo(6);

        Path file = write("""
                pipeline: ${NAME}
                streams:
                  orders:
                    schema: ${SCHEMA_DIR:-schemas}/orders.schema.json
                    time: created_at
                    id: event_id
                    retention: ${RETENTION:-3d}
                sources:
                  in:
                    type: kafka
                    stream: orders
                    topic: raw$$orders
                  gen:
                    type: generator
                    stream: orders
                    rate: ${RATE:-250}
                    late: "${LATE:-0.1}"
                """);
        Pipeline q = new PipelineLoader(Map.of("NAME", "shop", "RETENTION", "")).load(file);
        assertThat(q.name()).isEqualTo("shop");
        assertThat(q.stream("orders").retention())
                .as(":- applies to empty values too")
                .isEqualTo(Duration.ofDays(3));
        assertThat(((SourceDef.Kafka) q.sources().get("in")).topic()).isEqualTo("raw$orders");
        SourceDef.Generator gen = (SourceDef.Generator) q.sources().get("gen");
        assertThat(gen.ratePerSecond()).isEqualTo(250.0);
        assertThat(gen.lateRatio()).isEqualTo(0.1);
        assertThat(gen.limit()).isZero();
        assertThat(gen.lateBy()).isEqualTo(Duration.ofMinutes(30));
    }

    @Test
    void unsetOrRequiredVariablesAreLocatedProblems() throws Exception {
        Path file = write("""
                pipeline: ${NAME}
                streams:
                  orders:
                    schema: schemas/orders.schema.json
                    time: created_at
                    id: event_id
                    partitions: ${PARTS:?set PARTS to the partition count}
                    retention: ${KEEP}d
                """);
        assertThat(lint(file, Map.of("KEEP", "x")))
                .containsExactly(
                        prefix(file) + "1:11: pipeline: environment variable 'NAME' is not set"
                                + " (write ${NAME:-default} to give a default, or $$ for a literal $)",
                        prefix(file) + "7:17: streams.orders.partitions: environment variable 'PARTS' is not set:"
                                + " set PARTS to the partition count",
                        prefix(file) + "8:16: streams.orders.retention: 'xd' is not a duration: write a whole"
                                + " number and a unit (ms, s, m, h, d), e.g. 250ms, 10s, 1m, 2h, 7d");
        Pipeline p = new PipelineLoader(Map.of("NAME", "n", "PARTS", "12", "KEEP", "2")).load(file);
        assertThat(p.stream("orders").partitions()).isEqualTo(12);
        assertThat(p.stream("orders").retention()).isEqualTo(Duration.ofDays(2));

        assertThat(lint(file, Map.of("NAME", "n", "PARTS", "many", "KEEP", "2")))
                .containsExactly(prefix(file) + "7:17: streams.orders.partitions: expected an integer, got 'many'");
    }

    static final String BROKEN = """
            pipeline: ecommerce

            streams:
              orders:
                schema: schemas/orders.schema.json
                id: event_id
                time: created_at
                key: order_id
                partitions: ${ORDERS_PARTITIONS:-3}
                retention: 10x

            sources:
              orders_http:
                type: http
                stream: orders

            views:
              gmv_by_country:
                from: orders
                filter: status == "paid" && amount > "x"
                window:
                  type: tumbling
                  size: 1m
                  graec: 10m
                group_by: [country, currency]
                measures:
                  orders: count
                  gmv: sum(amont)
              refunds:
                from: ordres
                derive:
                  twice: amount * 2.0
                measures:
                  n: count
            """;

    @Test
    void aBrokenFileGivesEveryProblemWithItsPlace() throws Exception {
        Path file = write(BROKEN);
        String f = prefix(file);
        int gt = "    filter: ".length() + "status == \"paid\" && amount ".length() + 1;
        assertThat(lint(file, Map.of()))
                .containsExactly(
                        f + "10:16: streams.orders.retention: '10x' is not a duration: write a whole number and a unit"
                                + " (ms, s, m, h, d), e.g. 250ms, 10s, 1m, 2h, 7d",
                        f + "20:" + gt + ": views.gmv_by_country.filter: invalid expression"
                                + " 'status == \"paid\" && amount > \"x\"': found no matching overload for '_>_'"
                                + " applied to '(double, string)'",
                        f + "24:7: views.gmv_by_country.window: unknown key 'graec' (did you mean 'grace'?)",
                        f + "28:12: views.gmv_by_country.measures.gmv: 'amont' is not a field of stream 'orders'"
                                + " nor derived (did you mean 'amount'?)",
                        f + "30:11: views.refunds.from: unknown stream 'ordres' (did you mean 'orders'?)");

        assertThatThrownBy(() -> new PipelineLoader(Map.of()).load(file))
                .isInstanceOf(PipelineException.class)
                .satisfies(e -> assertThat(((PipelineException) e).problems()).hasSize(5))
                .hasMessageContaining("24:7: views.gmv_by_country.window: unknown key 'graec'");
    }

    @Test
    void aYamlSyntaxErrorIsLocated() throws Exception {
        Path file = write("""
                pipeline: shop
                streams:
                  orders:
                    schema: [unclosed
                    time: created_at
                """);
        assertThat(lint(file, Map.of()))
                .containsExactly(prefix(file) + "5:9: <file>: invalid YAML: expected ',' or ']', but got :"
                        + " (while parsing a flow sequence at line 4, column 13)");

        Path tabs = write("pipeline: shop\nstreams:\n\torders: {}\n");
        assertThat(lint(tabs, Map.of()))
                .singleElement()
                .asString()
                .startsWith(prefix(tabs) + "3:1: <file>: invalid YAML: found character '\\t(TAB)' that cannot start"
                        + " any token");

        Path quote = write("pipeline: \"shop\nstreams: {}\n");
        assertThat(lint(quote, Map.of()))
                .containsExactly(prefix(quote) + "3:1: <file>: invalid YAML: found unexpected end of stream (while"
                        + " scanning a quoted scalar at line 1, column 11)");
    }

    @Test
    void missingFileAndEmptyFile() throws Exception {
        Path missing = dir.resolve("nope.yaml");
        assertThat(lint(missing, Map.of())).containsExactly(missing + ":1:1: <file>: file not found");
        Path empty = write("# nothing\n");
        assertThat(lint(empty, Map.of())).singleElement().asString().contains("the file is empty");
    }

    @Test
    void typesRequiredKeysAndEnums() throws Exception {
        Path file = write("""
                pipeline: Shop
                streams:
                  orders:
                    schema: schemas/orders.schema.json
                    id: event_id
                    partitions: 0
                    dedup: [1h]
                sources:
                  k:
                    type: kafak
                    stream: orders
                  h:
                    type: http
                    stream: orders
                    topic: x
                    max_body: 10 parsecs
                  g:
                    type: generator
                    stream: orders
                    duplicates: 1.5
                    fields:
                      country: { values: [US, GB], cardinaltiy: 3 }
                      planet: { values: [earth] }
                views:
                  v:
                    from: orders
                    window: { type: hopping, size: 1m }
                    measures: { total: summ(amount), n: count(amount), p: p95(country), window_end: count }
                sinks:
                  s:
                    type: duckdb
                    inputs: [orders, vv]
                """);
        String f = prefix(file);
        assertThat(lint(file, Map.of()))
                .containsExactly(
                        f + "1:11: pipeline: 'Shop' is not a valid name: use [a-z][a-z0-9_-]*",
                        f + "4:5: streams.orders: missing required key 'time' (e.g. time: created_at)",
                        f + "6:17: streams.orders.partitions: must be between 1 and 10000, got 0",
                        f + "7:12: streams.orders.dedup: expected duration, got a list",
                        f
                                + "10:11: sources.k.type: 'kafak' is not one of http, kafka, generator (did you mean 'kafka'?)",
                        f + "15:5: sources.h: unknown key 'topic' (it applies to type: kafka)",
                        f + "16:15: sources.h.max_body: '10 parsecs' is not a size: write a whole number of bytes or"
                                + " one with a unit (B, KB, MB, GB), e.g. 512KB, 10MB",
                        f + "20:17: sources.g.duplicates: must be a ratio between 0 and 1, got 1.5",
                        f + "22:36: sources.g.fields.country: unknown key 'cardinaltiy' (did you mean 'cardinality'?)",
                        f + "23:7: sources.g.fields.planet: 'planet' is not a field of stream 'orders'",
                        f + "27:13: views.v.window: missing required key 'advance': a hopping window needs the time"
                                + " between window starts (e.g. advance: 10s)",
                        f + "28:24: views.v.measures.total: unknown measure 'summ' (did you mean 'sum'?); measures are"
                                + " count, sum, min, max, avg, count_distinct, p50, p95, p99",
                        f + "28:41: views.v.measures.n: count takes no field; to count distinct values write"
                                + " count_distinct(amount)",
                        f + "28:59: views.v.measures.p: p95 needs a numeric field; 'country' is string",
                        f + "28:73: views.v.measures.window_end: 'window_end' is a reserved column name of view tables"
                                + " (window_start, window_end, version, watermark, updated_at, and names starting"
                                + " with _); name the measure otherwise",
                        f + "32:22: sinks.s.inputs[1]: unknown stream or view 'vv' (did you mean 'v'?)");
    }

    @Test
    void derivedFieldsHaveTypesAndCanBeMeasuredAndGrouped() throws Exception {
        Path file = write(MINIMAL + """
                views:
                  by_market:
                    from: orders
                    derive:
                      market: country + "-" + currency
                      doubled: amount * 2.0
                      big: doubled > 100
                    filter: big && status == "paid"
                    window: { type: hopping, size: 10m, advance: 1m }
                    group_by: [market]
                    measures:
                      total: sum(doubled)
                      p: p99(doubled)
                      markets: count_distinct(market)
                """);
        Pipeline p = new PipelineLoader(Map.of()).load(file);
        ViewDef v = p.views().get("by_market");
        assertThat(v.derive()).containsOnlyKeys("market", "doubled", "big");
        assertThat(((Expressions.Compiled) v.derive().get("doubled")).resultType())
                .isEqualTo(Expressions.Type.DOUBLE);
        assertThat(v.window())
                .isEqualTo(WindowDef.hopping(Duration.ofMinutes(10), Duration.ofMinutes(1), Duration.ZERO));

        Map<String, Object> fields = Expressions.fieldsOf(new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree("{\"country\":\"US\",\"currency\":\"USD\",\"amount\":60,\"status\":\"paid\"}"));
        for (Map.Entry<String, Expression> d : v.derive().entrySet()) {
            fields.put(d.getKey(), d.getValue().eval(fields));
        }
        assertThat(fields)
                .containsEntry("market", "US-USD")
                .containsEntry("doubled", 120.0)
                .containsEntry("big", true);
        assertThat(v.filter().test(fields)).isTrue();
    }

    @Test
    void expressionProblems() throws Exception {
        Path file = write(MINIMAL + """
                views:
                  v:
                    from: orders
                    derive:
                      amount: amount * 2.0
                      label: 'country + nope'
                    filter: country
                    group_by: [label, country, country]
                    measures: { n: count, country: count }
                """);
        String f = prefix(file);
        assertThat(lint(file, Map.of()))
                .containsExactly(
                        f + "11:7: views.v.derive.amount: 'amount' is already a field of stream 'orders'; give the"
                                + " derived field another name",
                        f + "12:25: views.v.derive.label: invalid expression 'country + nope': undeclared reference to"
                                + " 'nope'",
                        f + "13:13: views.v.filter: a filter must be a boolean expression; 'country' gives string",
                        f + "14:32: views.v.group_by[2]: 'country' is grouped by twice",
                        f + "15:27: views.v.measures.country: 'country' is also a group_by field; name the measure"
                                + " otherwise");
    }

    @Test
    void schemaProblems() throws Exception {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("bad.json"), "{ \"properties\": ");
        Files.writeString(dir.resolve("array.json"), "[1]");
        Files.writeString(dir.resolve("noprops.json"), "{\"type\": \"object\"}");
        Files.writeString(dir.resolve("ok.json"), "{\"properties\": {\"t\": {\"type\": \"integer\"}}}");
        Path file = write("""
                pipeline: shop
                streams:
                  a: { schema: missing.json, time: t }
                  b: { schema: bad.json, time: t }
                  c: { schema: array.json, time: t }
                  d: { schema: noprops.json, time: t }
                  e: { schema: ok.json, time: tt, id: t, key: k }
                  f: { schema: ok.json, time: t }
                """);
        List<String> problems = lint(file, Map.of());
        String f = prefix(file);
        assertThat(problems).hasSize(7);
        assertThat(problems.get(0)).startsWith(f + "3:16: streams.a.schema: schema file 'missing.json' not found");
        assertThat(problems.get(1)).startsWith(f + "4:16: streams.b.schema: schema file 'bad.json' is not valid JSON");
        assertThat(problems.get(2))
                .isEqualTo(f + "5:16: streams.c.schema: schema file 'array.json' is not a JSON Schema object");
        assertThat(problems.get(3))
                .startsWith(f + "6:16: streams.d.schema: schema file 'noprops.json' has no 'properties' object");
        assertThat(problems.get(4))
                .isEqualTo(f + "7:31: streams.e.time: 'tt' is not a field of schema 'ok.json' (did you mean 't'?)");
        assertThat(problems.get(5)).isEqualTo(f + "7:47: streams.e.key: 'k' is not a field of schema 'ok.json'");
        assertThat(problems.get(6))
                .isEqualTo(f + "8:6: streams.f: the schema has no property 'id', the default of 'id';"
                        + " set 'id' to the field carrying the event id");
    }

    @Test
    void duplicateKeysAndNameClashes() throws Exception {
        Path file = write(MINIMAL + """
                    time: created_at
                views:
                  orders:
                    from: orders
                    measures: { n: count }
                """);
        String f = prefix(file);
        assertThat(lint(file, Map.of()))
                .containsExactly(
                        f + "3:3: streams.orders: 'orders' is also the name of a view; streams and views need distinct"
                                + " names",
                        f + "7:5: streams.orders.time: duplicate key 'time'");
    }

    @Test
    void anAvroStreamTakesItsFieldsFromTheAvscAndNamesItsSubject() throws Exception {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("ticks.avsc"), """
                {"type": "record", "name": "Tick", "fields": [
                  {"name": "id", "type": "string"},
                  {"name": "symbol", "type": "string"},
                  {"name": "qty", "type": "long"},
                  {"name": "ts", "type": "long"}]}
                """);
        Path file = dir.resolve("pipeline.yaml");
        Files.writeString(file, """
                pipeline: market
                streams:
                  ticks:
                    schema: ticks.avsc
                    time: ts
                    subject: ticks-value
                views:
                  volume:
                    from: ticks
                    group_by: [symbol]
                    measures: { qty: sum(qty) }
                sinks:
                  out: { type: kafka, topic: ticks-out, inputs: [ticks] }
                """);
        Pipeline p = new PipelineLoader(Map.of()).load(file);
        StreamDef s = p.stream("ticks");
        assertThat(s.avro()).isTrue();
        assertThat(s.schemaText()).contains("\"Tick\"");
        assertThat(s.schema().path("properties").has("qty")).isTrue();
        assertThat(p.subject("ticks")).isEqualTo("ticks-value");
        assertThat(p.sinks().get("out"))
                .isEqualTo(new SinkDef.Kafka("out", "ticks-out", "confluent", List.of("ticks")));
    }

    @Test
    void aBrokenAvscAndAViewInAKafkaSinkAreLocatedProblems() throws Exception {
        Files.createDirectories(dir);
        Files.writeString(
                dir.resolve("ticks.avsc"),
                "{\"type\": \"record\", \"name\": \"Tick\", \"fields\": [{\"name\": \"x\"}]}");
        Path file = write(
                MINIMAL.replace("schema: schemas/orders.schema.json", "schema: ../" + dir.getFileName() + "/ticks.avsc")
                        + """
                views:
                  counts:
                    from: orders
                    measures: { n: count }
                sinks:
                  out: { type: kafka, topic: t, inputs: [counts] }
                """);
        List<String> problems = lint(file, Map.of());
        assertThat(problems)
                .anySatisfy(x -> assertThat(x).contains("streams.orders.schema").contains("not a valid Avro schema"));
        assertThat(problems)
                .anySatisfy(x -> assertThat(x).contains("sinks.out.inputs[0]").contains("a kafka sink writes streams"));
    }

    @Test
    void aPostgresSinkNamesItsStreamKeyAndVersionAndTheyAreChecked() throws Exception {
        Path file = write(MINIMAL + """
                sinks:
                  pg:
                    type: postgres
                    url: jdbc:postgresql://db:5432/shop
                    stream: orders
                    key: order_id
                """);
        Pipeline p = new PipelineLoader(Map.of()).load(file);
        assertThat(p.sinks().get("pg"))
                .isEqualTo(new SinkDef.Postgres(
                        "pg",
                        "jdbc:postgresql://db:5432/shop",
                        "postgres",
                        "",
                        "orders",
                        "orders",
                        "order_id",
                        "created_at"));
        assertThat(p.sinks().get("pg").inputs()).containsExactly("orders");

        Path bad = write(MINIMAL + """
                sinks:
                  pg:
                    type: postgres
                    stream: order
                    key: order_idd
                    path: x.duckdb
                """);
        List<String> problems = lint(bad, Map.of());
        assertThat(problems)
                .anySatisfy(x -> assertThat(x).contains("sinks.pg.stream").contains("unknown stream 'order'"));
        assertThat(problems).anySatisfy(x -> assertThat(x).contains("sinks.pg").contains("url"));
        assertThat(problems).anySatisfy(x -> assertThat(x).contains("sinks.pg").contains("'path'"));

        Path badKey = write(MINIMAL + """
                sinks:
                  pg: { type: postgres, url: "jdbc:postgresql://db/shop", stream: orders, key: order_idd }
                """);
        assertThat(lint(badKey, Map.of()))
                .anySatisfy(x -> assertThat(x).contains("sinks.pg.key").contains("unknown field 'order_idd'"));
    }

    @Test
    void clickhouseAndRedisSinksWithTheirDefaults() throws Exception {
        Path file = write(MINIMAL + """
                views:
                  n: { from: orders, measures: { n: count } }
                sinks:
                  ch: { type: clickhouse, url: "http://ch:8123" }
                  cache: { type: redis, url: "redis://r:6379" }
                """);
        Pipeline p = new PipelineLoader(Map.of()).load(file);
        assertThat(p.sinks().get("ch"))
                .isEqualTo(new SinkDef.ClickHouse(
                        "ch",
                        "http://ch:8123",
                        "default",
                        "default",
                        "",
                        List.of(),
                        100_000,
                        java.time.Duration.ofSeconds(1),
                        null,
                        null));
        assertThat(p.sinks().get("cache"))
                .isEqualTo(new SinkDef.Redis(
                        "cache", "redis://r:6379", List.of(), 60, java.time.Duration.ofSeconds(10), true));

        Path bad = write(MINIMAL + """
                sinks:
                  cache: { type: redis, url: "redis://r:6379", inputs: [orders], serve: sometimes }
                  ch: { type: clickhouse }
                """);
        List<String> problems = lint(bad, Map.of());
        assertThat(problems)
                .anySatisfy(x -> assertThat(x).contains("sinks.cache.inputs[0]").contains("a redis sink caches views"));
        assertThat(problems)
                .anySatisfy(x -> assertThat(x).contains("sinks.cache.serve").contains("sometimes"));
        assertThat(problems).anySatisfy(x -> assertThat(x).contains("sinks.ch").contains("url"));
    }

    @Test
    void rollupsAreCoarserWindowsOverWhatClickHouseCanCompute() throws Exception {
        Path file = write(MINIMAL + """
                views:
                  gmv:
                    from: orders
                    filter: 'status == "paid" && (amount > 5.0 || country in ["DE", "FR"]) && !(currency == "X")'
                    window: { type: tumbling, size: 1m }
                    group_by: [country]
                    measures: { n: count, gmv: sum(amount) }
                    rollup: [1h, 1d]
                """);
        Pipeline p = new PipelineLoader(Map.of()).load(file);
        ViewDef gmv = p.views().get("gmv");
        assertThat(gmv.rollup()).containsExactly(java.time.Duration.ofHours(1), java.time.Duration.ofDays(1));
        assertThat(gmv.rollup().stream().map(ViewDef::rollupLabel)).containsExactly("1h", "1d");
        assertThat(SqlFilter.toSql(
                        (Expressions.Compiled) gmv.filter(),
                        java.util.Set.of("status", "amount", "country", "currency"),
                        f -> "`" + f + "`"))
                .isEqualTo("(((`status` = 'paid') AND ((`amount` > 5.0) OR (`country` IN ('DE', 'FR'))))"
                        + " AND (NOT (`currency` = 'X')))");

        Path bad = write(MINIMAL + """
                views:
                  a:
                    from: orders
                    derive: { market: 'country + "-" + currency' }
                    filter: 'status.startsWith("p")'
                    window: { type: tumbling, size: 1m }
                    group_by: [market]
                    measures: { n: count }
                    rollup: [90s, 1m, 1h, 1h]
                  b:
                    from: orders
                    measures: { n: count }
                    rollup: [1h]
                """);
        List<String> problems = lint(bad, Map.of());
        assertThat(problems)
                .anySatisfy(x -> assertThat(x).contains("views.a.rollup[0]").contains("whole multiple"))
                .anySatisfy(x -> assertThat(x).contains("views.a.rollup[1]").contains("whole multiple"))
                .anySatisfy(x -> assertThat(x).contains("views.a.rollup[3]").contains("listed twice"))
                .anySatisfy(x -> assertThat(x).contains("views.a.rollup").contains("group field 'market' is derived"))
                .anySatisfy(x -> assertThat(x).contains("views.a.rollup").contains("cannot run this filter"))
                .anySatisfy(x -> assertThat(x).contains("views.b.rollup").contains("tumbling window"));
    }
}
