package dev.sluice.pipeline;

import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The declared shape of a pipeline file: every section, its keys, their types, defaults,
 * descriptions and examples. The loader validates against it, and {@link PipelineReference}
 * renders it, so the reference cannot say something the loader does not do.
 */
final class Spec {

    private Spec() {}

    enum Kind {
        STRING("string"),
        INT("integer"),
        NUMBER("number"),
        POSITIVE_NUMBER("number > 0"),
        RATIO("ratio"),
        DURATION("duration"),
        DURATION_OR_ZERO("duration or `0`"),
        SIZE("size"),
        ENUM("enum"),
        PATH("path"),
        CEL("CEL expression"),
        FIELD("field"),
        FIELD_LIST("list of fields"),
        REF("name"),
        REF_LIST("list of names"),
        LIST("list"),
        SECTION("object"),
        SECTION_MAP("map"),
        CEL_MAP("map of field → CEL expression"),
        MEASURE_MAP("map of name → measure");

        final String doc;

        Kind(String doc) {
            this.doc = doc;
        }
    }

    /**
     * One key of a section.
     *
     * @param defaultText the default as it would be written in the file (parsed with the key's own
     *     converter, so the documented default is the applied default); null when there is none
     * @param typeDoc how the type reads in the reference
     * @param section the nested section for SECTION and SECTION_MAP
     */
    record Key(
            String name,
            Kind kind,
            boolean required,
            String defaultText,
            String typeDoc,
            String description,
            String example,
            List<String> values,
            Pattern pattern,
            long min,
            long max,
            Section section) {

        boolean isScalar() {
            return switch (kind) {
                case FIELD_LIST, REF_LIST, LIST, SECTION, SECTION_MAP, CEL_MAP, MEASURE_MAP -> false;
                default -> true;
            };
        }
    }

    /**
     * A section of the file. {@code discriminator} names the key ({@code type}) whose value selects
     * one of {@code variants}, whose keys are allowed in addition to this section's own.
     */
    record Section(
            String id,
            String title,
            String docPath,
            String description,
            List<Key> keys,
            String discriminator,
            Map<String, Section> variants) {

        Key key(String name) {
            for (Key k : keys) {
                if (k.name().equals(name)) {
                    return k;
                }
            }
            return null;
        }
    }

    // ---------------------------------------------------------------- builders

    private static final class KeyBuilder {
        private final String name;
        private final Kind kind;
        private boolean required;
        private String defaultText;
        private String typeDoc;
        private String description = "";
        private String example;
        private List<String> values = List.of();
        private Pattern pattern;
        private long min = Long.MIN_VALUE;
        private long max = Long.MAX_VALUE;
        private Section section;

        KeyBuilder(String name, Kind kind) {
            this.name = name;
            this.kind = kind;
            this.typeDoc = kind.doc;
        }

        KeyBuilder required() {
            required = true;
            return this;
        }

        KeyBuilder def(String text) {
            defaultText = text;
            return this;
        }

        KeyBuilder type(String doc) {
            typeDoc = doc;
            return this;
        }

        KeyBuilder desc(String d) {
            description = d;
            return this;
        }

        KeyBuilder example(String e) {
            example = e;
            return this;
        }

        KeyBuilder values(String... v) {
            values = List.of(v);
            typeDoc = "one of "
                    + String.join(", ", values.stream().map(x -> "`" + x + "`").toList());
            return this;
        }

        KeyBuilder pattern(String regex) {
            pattern = Pattern.compile(regex);
            return this;
        }

        KeyBuilder range(long lo, long hi) {
            min = lo;
            max = hi;
            return this;
        }

        KeyBuilder section(Section s) {
            section = s;
            return this;
        }

        Key build() {
            return new Key(
                    name,
                    kind,
                    required,
                    defaultText,
                    typeDoc,
                    description,
                    example,
                    values,
                    pattern,
                    min,
                    max,
                    section);
        }
    }

    private static KeyBuilder key(String name, Kind kind) {
        return new KeyBuilder(name, kind);
    }

    private static Section section(String id, String title, String docPath, String description, KeyBuilder... keys) {
        return variants(id, title, docPath, description, null, Map.of(), keys);
    }

    private static Section variants(
            String id,
            String title,
            String docPath,
            String description,
            String discriminator,
            Map<String, Section> variants,
            KeyBuilder... keys) {
        List<Key> ks = new ArrayList<>();
        for (KeyBuilder k : keys) {
            ks.add(k.build());
        }
        return new Section(id, title, docPath, description, List.copyOf(ks), discriminator, variants);
    }

    static final String STREAM_NAME = "[a-z][a-z0-9_]*";
    static final String COMPONENT_NAME = "[a-z][a-z0-9_-]*";
    static final String IDENTIFIER = "[A-Za-z_][A-Za-z0-9_]*";

    // ---------------------------------------------------------------- the spec

    static final Section WINDOW = section(
            "window",
            "Window",
            "views.<name>.window",
            "The event-time window of a view. A window `[start, start + size)` accepts events until the"
                    + " view's watermark (the highest event time seen) passes `start + size + grace`; later"
                    + " events still correct the stored row. Without a window, a view keeps one row per"
                    + " group over all time.",
            key("type", Kind.ENUM)
                    .required()
                    .values("tumbling", "hopping")
                    .desc(
                            "`tumbling`: back-to-back windows of `size`. `hopping`: windows of `size` starting"
                                    + " every `advance`, so windows overlap and an event counts in every window containing its time.")
                    .example("tumbling"),
            key("size", Kind.DURATION).required().desc("Length of a window.").example("1m"),
            key("advance", Kind.DURATION)
                    .desc("Hopping windows only, and required there: time between window starts;"
                            + " greater than 0 and at most `size`.")
                    .example("10s"),
            key("grace", Kind.DURATION_OR_ZERO)
                    .def("0")
                    .desc("How long after its end a window still accepts late events before they are"
                            + " routed to the late topic.")
                    .example("10m"));

    static final Section VIEW = section(
            "view",
            "Views",
            "views.<name>",
            "A view is a continuously maintained result over one stream: derive fields, filter, window,"
                    + " group and measure. View names are lowercase identifiers (`" + STREAM_NAME + "`) and"
                    + " must differ from stream names; each view is a table in the store and a topic"
                    + " `<pipeline>.view.<name>`.",
            key("from", Kind.REF)
                    .required()
                    .type("stream name")
                    .desc("The stream the view reads.")
                    .example("orders"),
            key("derive", Kind.CEL_MAP)
                    .desc("Fields computed per event, in order. Each expression sees the event's fields and"
                            + " the fields derived before it; derived fields may be grouped by, measured and"
                            + " filtered on. A derived field may not reuse a schema property's name.")
                    .example("{ market: 'country + \"-\" + currency' }"),
            key("filter", Kind.CEL)
                    .desc("A boolean expression; events for which it is false are not counted. It sees the"
                            + " derived fields. Absent: every event counts.")
                    .example("status == \"paid\""),
            key("window", Kind.SECTION)
                    .type("object")
                    .desc("See [Window](#window). Absent: one row per group over all time.")
                    .example("{ type: tumbling, size: 1m }"),
            key("group_by", Kind.FIELD_LIST)
                    .def("[]")
                    .desc("Fields (schema properties or derived fields) whose values make a row's group; each is a"
                            + " column of the view table, so the reserved names above are refused here too.")
                    .example("[country, currency]"),
            key("measures", Kind.MEASURE_MAP)
                    .required()
                    .desc("At least one. Each is `count` or `kind(field)` with kind one of `sum`, `min`, `max`,"
                            + " `avg` (numeric fields), `count_distinct` (any field; HLL sketch, about 1.6%"
                            + " error), `p50`, `p95`, `p99` (numeric fields; KLL sketch, about 1.65% rank"
                            + " error). Names are columns: they may not repeat a `group_by` field nor be"
                            + " one of the view table's own columns (`window_start`, `window_end`, `version`,"
                            + " `watermark`, `updated_at`, or a name starting with `_`).")
                    .example("{ orders: count, gmv: sum(amount) }"),
            key("sla", Kind.DURATION)
                    .def("5s")
                    .desc("How far behind the view may be before live clients and the dashboard mark it stale:"
                            + " the time the oldest event not yet processed has waited. 500ms suits operational"
                            + " views, 5s analytics.")
                    .example("500ms"),
            key("rollup", Kind.LIST)
                    .type("list of durations")
                    .def("[]")
                    .desc("Coarser tumbling windows kept as rollups by a ClickHouse sink: per size, a materialized"
                            + " view over the raw events into an `AggregatingMergeTree` table `<view>_<size>`, read"
                            + " with `GET /v1/views/<view>/rollups/<size>`. Each size is a multiple of the view's"
                            + " (tumbling) window. ClickHouse evaluates the view there, so the filter must be one it"
                            + " can run (comparisons, `&&`, `||`, `!`, `in [...]` on schema fields) and the groups and"
                            + " measured fields must be schema fields, not derived ones. `count_distinct` and the"
                            + " percentiles are ClickHouse's estimates (`uniqHLL12`, about 1.6% error; `quantile`). DuckDB answers the same"
                            + " request by merging the view's rows.")
                    .example("[1h, 1d]"));

    static final Section TABLE = section(
            "table",
            "Tables",
            "tables.<name>",
            "A table is the latest value per key of a stream: for each key, the fields of the event with the newest"
                    + " event time seen for it (an older event does not replace a newer one; of two with the same time the"
                    + " one read later wins). It is kept in a compacted topic `<pipeline>.table.<name>`, restored on"
                    + " restart, and queried with `GET /v1/tables/<name>`. Table names are lowercase identifiers (`"
                    + STREAM_NAME + "`) and must differ from stream and view names.",
            key("from", Kind.REF)
                    .required()
                    .type("stream name")
                    .desc("The stream whose events update the table.")
                    .example("ticks"),
            key("key", Kind.FIELD_LIST)
                    .required()
                    .desc("The schema fields whose values make the key, at least one; an event without a value for"
                            + " one of them goes to the dead-letter topic.")
                    .example("[symbol]"),
            key("fields", Kind.FIELD_LIST)
                    .def("[]")
                    .desc("The schema fields kept as the value. Absent or empty: every field of the event.")
                    .example("[price, venue]"));

    static final Section GENERATOR_FIELD = section(
            "generator-field",
            "Generator field overrides",
            "sources.<name>.fields.<field>",
            "How a generator source makes up one field's values. Without an override a field gets values"
                    + " from its schema (`enum`, `minimum`/`maximum`, `format: date-time`, …).",
            key("values", Kind.LIST)
                    .type("list")
                    .desc("Values to pick from, uniformly.")
                    .example("[US, GB, DE]"),
            key("min", Kind.NUMBER).desc("Smallest value of a numeric field.").example("5"),
            key("max", Kind.NUMBER).desc("Largest value of a numeric field.").example("500"),
            key("cardinality", Kind.INT)
                    .range(1, Integer.MAX_VALUE)
                    .type("integer ≥ 1")
                    .desc("Number of distinct values of a string field.")
                    .example("5000"));

    static final Section SOURCE_HTTP = section(
            "source-http",
            "`type: http`",
            "sources.<name>",
            "Events are posted to `POST /v1/streams/<stream>/events` (a JSON object, a JSON array of objects,"
                    + " or NDJSON); see [http-api.md](http-api.md).",
            key("max_body", Kind.SIZE)
                    .def("10MB")
                    .desc("Larger request bodies are refused with 413.")
                    .example("512KB"),
            key("max_in_flight", Kind.INT)
                    .def(Integer.toString(SourceDef.Http.DEFAULT_MAX_IN_FLIGHT_EVENTS))
                    .range(1, Integer.MAX_VALUE)
                    .type("integer ≥ 1")
                    .desc("Events waiting for Kafka's acknowledgement beyond which requests are answered 429.")
                    .example("50000"));

    static final Section SOURCE_KAFKA = section(
            "source-kafka",
            "`type: kafka`",
            "sources.<name>",
            "Events are read from an existing Kafka topic, one event per message.",
            key("topic", Kind.STRING).required().desc("The topic read.").example("orders"),
            key("format", Kind.ENUM)
                    .def("auto")
                    .values("auto", "json", "confluent")
                    .desc("Message format. `json`: one JSON object per message. `confluent`: the Confluent wire"
                            + " format (magic byte 0, 4-byte schema id, then Avro binary or JSON), decoded with the"
                            + " writer's schema from the registry; other messages go to the dead-letter topic."
                            + " `auto`: the wire format when a message starts with byte 0, else JSON.")
                    .example("confluent"),
            key("start_from", Kind.ENUM)
                    .def("earliest")
                    .values("earliest", "latest")
                    .desc("Where a new pipeline starts reading the topic.")
                    .example("latest"));

    static final Section SOURCE_GENERATOR = section(
            "source-generator",
            "`type: generator`",
            "sources.<name>",
            "Synthesises events from the stream's schema, for demos and load tests.",
            key("rate", Kind.POSITIVE_NUMBER)
                    .def("100")
                    .desc("Events per second.")
                    .example("500"),
            key("limit", Kind.INT)
                    .def("0")
                    .range(0, Long.MAX_VALUE)
                    .type("integer ≥ 0")
                    .desc("Stop after this many events; 0 runs until stopped.")
                    .example("10000"),
            key("duplicates", Kind.RATIO)
                    .def("0")
                    .type("ratio 0..1")
                    .desc("Share of events sent twice.")
                    .example("0.01"),
            key("late", Kind.RATIO)
                    .def("0")
                    .type("ratio 0..1")
                    .desc("Share of events whose time lies in the past (up to `late_by`).")
                    .example("0.05"),
            key("late_by", Kind.DURATION)
                    .def("30m")
                    .desc("How far in the past a late event's time lies, at most.")
                    .example("2h"),
            key("fields", Kind.SECTION_MAP)
                    .type("map of field → object")
                    .desc("Per-field overrides, see [Generator field overrides](#generator-field-overrides).")
                    .example("{ country: { values: [US, GB] } }"));

    static final Section SOURCE = variants(
            "source",
            "Sources",
            "sources.<name>",
            "A source is where events enter a stream. Every event is validated against the stream's schema;"
                    + " source names match `" + COMPONENT_NAME + "`. Keys common to all types:",
            "type",
            orderedMap("http", SOURCE_HTTP, "kafka", SOURCE_KAFKA, "generator", SOURCE_GENERATOR),
            key("type", Kind.ENUM)
                    .required()
                    .values("http", "kafka", "generator")
                    .desc("The kind of source; each kind has further keys, below.")
                    .example("http"),
            key("stream", Kind.REF)
                    .required()
                    .type("stream name")
                    .desc("The stream the events are validated against and written to.")
                    .example("orders"));

    static final Section SINK_DUCKDB = section(
            "sink-duckdb",
            "`type: duckdb`",
            "sinks.<name>",
            "An embedded DuckDB database: one table per stream (raw events, keyed by id) and per view (one row"
                    + " per group and window, highest version kept).",
            key("path", Kind.STRING)
                    .desc("The database file. Absent: `sluice.duckdb` in the data directory.")
                    .example("data/shop.duckdb"),
            key("inputs", Kind.REF_LIST)
                    .type("list of stream and view names")
                    .desc("What the sink writes. Absent or empty: every stream and view.")
                    .example("[orders, gmv_by_country]"),
            key("batch_rows", Kind.INT)
                    .def(Long.toString(SinkDef.DuckDb.BATCH_ROWS))
                    .desc("A batch (one transaction, one bulk append per table) is written once it holds this many"
                            + " records. Large batches are what DuckDB writes fastest.")
                    .example("100000"),
            key("batch_interval", Kind.DURATION)
                    .def("200ms")
                    .desc("A batch is written once its first record is this old, full or not: the most the sink"
                            + " adds to a row's way into the store.")
                    .example("1s"));

    static final Section SINK_KAFKA = section(
            "sink-kafka",
            "`type: kafka`",
            "sinks.<name>",
            "A Kafka topic receiving every accepted event of the listed streams, for downstream consumers."
                    + " Duplicates a producer sent are passed on; consumers deduplicate by the id field.",
            key("topic", Kind.STRING).required().desc("The topic written.").example("orders-avro"),
            key("format", Kind.ENUM)
                    .def("confluent")
                    .values("confluent", "json")
                    .desc("`confluent`: the Confluent wire format with the stream's registered schema id"
                            + " (Avro binary for an `.avsc` stream, JSON text for a JSON Schema stream), readable"
                            + " by Confluent deserializers pointed at Sluice's registry. `json`: plain JSON.")
                    .example("confluent"),
            key("inputs", Kind.REF_LIST)
                    .type("list of stream names")
                    .desc("The streams written. Absent or empty: every stream.")
                    .example("[orders]"));

    static final Section SINK_POSTGRES = section(
            "sink-postgres",
            "`type: postgres`",
            "sinks.<name>",
            "A PostgreSQL table with the latest state of each entity of one stream (an order, an account): events"
                    + " are upserted by `key` (`INSERT ... ON CONFLICT`), an older event never replaces a newer one,"
                    + " and the sink's Kafka offsets are written in the same transaction, so each event counts"
                    + " exactly once. The table and `_sluice_offsets` are created when missing.",
            key("url", Kind.STRING)
                    .required()
                    .desc("The JDBC URL of the database.")
                    .example("${PG_URL:-jdbc:postgresql://127.0.0.1:5432/shop}"),
            key("user", Kind.STRING).def("postgres").desc("The database user.").example("${PG_USER:-sluice}"),
            key("password", Kind.STRING)
                    .desc("The user's password. Absent: none.")
                    .example("${PG_PASSWORD}"),
            key("stream", Kind.REF)
                    .required()
                    .type("stream name")
                    .desc("The stream written.")
                    .example("orders"),
            key("table", Kind.STRING)
                    .desc("The table. Absent: the stream's name.")
                    .example("orders"),
            key("key", Kind.FIELD)
                    .required()
                    .desc("The field identifying the entity: the table's primary key.")
                    .example("order_id"),
            key("version", Kind.FIELD)
                    .desc("The field ordering an entity's events (a time or a number): a row is replaced only by an"
                            + " event whose value is at least the row's. Absent: the stream's time field.")
                    .example("created_at"),
            key("batch_rows", Kind.INT)
                    .def(Long.toString(SinkDef.Postgres.BATCH_ROWS))
                    .desc("A batch (one transaction: the newest event per key upserted in one statement, and the"
                            + " offsets) is written once it holds this many records.")
                    .example("20000"),
            key("batch_interval", Kind.DURATION)
                    .def("200ms")
                    .desc("A batch is written once its first record is this old, full or not.")
                    .example("1s"));

    static final Section SINK_CLICKHOUSE = section(
            "sink-clickhouse",
            "`type: clickhouse`",
            "sinks.<name>",
            "A ClickHouse server, written over its HTTP interface in batches: one table per stream (raw events,"
                    + " ReplacingMergeTree on the id) and per view (ReplacingMergeTree on the row's version), read"
                    + " with `FINAL`, so a redelivered batch changes nothing. The sink's progress per partition is"
                    + " kept in `_sluice_progress`. When a pipeline has a ClickHouse sink, the query API, the"
                    + " dashboard's snapshots and `verify --recompute` read ClickHouse. Works with ClickHouse 18.16"
                    + " and current releases; see docs/stores.md for what differs.",
            key("url", Kind.STRING)
                    .required()
                    .desc("The server's HTTP interface.")
                    .example("${CLICKHOUSE_URL:-http://127.0.0.1:8123}"),
            key("database", Kind.STRING)
                    .def("default")
                    .desc("The database; created when missing.")
                    .example("shop"),
            key("user", Kind.STRING).def("default").desc("The user.").example("${CLICKHOUSE_USER:-default}"),
            key("password", Kind.STRING)
                    .desc("The user's password. Absent: none.")
                    .example("${CLICKHOUSE_PASSWORD}"),
            key("inputs", Kind.REF_LIST)
                    .type("list of stream and view names")
                    .desc("What the sink writes. Absent or empty: every stream and view.")
                    .example("[orders, gmv_by_country]"),
            key("batch_rows", Kind.INT)
                    .def(Long.toString(SinkDef.ClickHouse.BATCH_ROWS))
                    .desc("A batch is written once it holds this many records. ClickHouse wants few, large inserts:"
                            + " with the default, a table gets one insert per `batch_interval` up to 100,000 rows/s.")
                    .example("20000"),
            key("batch_interval", Kind.DURATION)
                    .def("1s")
                    .desc("A batch is written once its first record is this old, full or not.")
                    .example("2s"),
            key("raw_ttl", Kind.DURATION)
                    .desc("How long raw events are kept (a table TTL on the event time). Needs ClickHouse 19.6 or"
                            + " later; older servers keep rows and the sink logs a warning. Absent: forever.")
                    .example("30d"),
            key("view_ttl", Kind.DURATION)
                    .desc("How long view rows are kept (a table TTL on the window start); as `raw_ttl`.")
                    .example("400d"));

    static final Section SINK_REDIS = section(
            "sink-redis",
            "`type: redis`",
            "sinks.<name>",
            "Redis holding each listed view's latest windows, rewritten from the pipeline's store every `refresh`,"
                    + " for dashboards with many viewers. Key `sluice:<pipeline>:view:<view>`, a JSON document with"
                    + " the rows and the time of the refresh.",
            key("url", Kind.STRING)
                    .required()
                    .desc("The Redis server.")
                    .example("${REDIS_URL:-redis://127.0.0.1:6379}"),
            key("inputs", Kind.REF_LIST)
                    .type("list of view names")
                    .desc("The views cached. Absent or empty: every view.")
                    .example("[gmv_by_country]"),
            key("windows", Kind.INT)
                    .def("60")
                    .desc("How many of a view's latest windows are cached (all rows of a view without window).")
                    .example("120"),
            key("refresh", Kind.DURATION)
                    .def("10s")
                    .desc("How often the cache is rewritten; also the most an answer from it can lag the store.")
                    .example("5s"),
            key("serve", Kind.ENUM)
                    .def("cache")
                    .values("cache", "store")
                    .desc("`cache`: `GET /v1/views/<view>` answers from Redis when the request lies within the"
                            + " cached windows, with `cache_age_ms`; other requests go to the store. `store`: the"
                            + " query API always reads the store; the cache is for other readers.")
                    .example("cache"));

    static final Section SINK = variants(
            "sink",
            "Sinks",
            "sinks.<name>",
            "A sink is where streams and views land. Sink names match `" + COMPONENT_NAME + "`.",
            "type",
            orderedMap(
                    "duckdb",
                    SINK_DUCKDB,
                    "kafka",
                    SINK_KAFKA,
                    "postgres",
                    SINK_POSTGRES,
                    "clickhouse",
                    SINK_CLICKHOUSE,
                    "redis",
                    SINK_REDIS),
            key("type", Kind.ENUM)
                    .required()
                    .values("duckdb", "kafka", "postgres", "clickhouse", "redis")
                    .desc("The kind of sink.")
                    .example("duckdb"));

    static final Section STREAM = section(
            "stream",
            "Streams",
            "streams.<name>",
            "A stream is a named sequence of events obeying one schema, kept in the Kafka topic"
                    + " `<pipeline>.<name>`. Stream names are lowercase identifiers (`" + STREAM_NAME + "`).",
            key("schema", Kind.PATH)
                    .required()
                    .type("path")
                    .desc("The stream's schema file, relative to the pipeline file: a JSON Schema (its"
                            + " top-level `properties` are the event's fields) or, named `*.avsc`, an Avro record"
                            + " schema (its fields are the event's fields). `sluice run` registers it in the schema"
                            + " registry under `subject` and refuses to start when the change breaks the subject's"
                            + " compatibility level.")
                    .example("schemas/orders.schema.json"),
            key("subject", Kind.STRING)
                    .desc("The schema registry subject of the stream's schema. Absent:"
                            + " `<pipeline>.<stream>-value` (Confluent's TopicNameStrategy on the stream's topic).")
                    .example("orders-value"),
            key("id", Kind.FIELD)
                    .def("id")
                    .desc("The field carrying the event id, the deduplication key. Assigned at ingest when an"
                            + " event has none.")
                    .example("event_id"),
            key("time", Kind.FIELD)
                    .required()
                    .desc("The field carrying the event time (RFC 3339 text or epoch milliseconds); windows are"
                            + " on this time, not on arrival.")
                    .example("created_at"),
            key("key", Kind.FIELD)
                    .desc("The field whose value is the Kafka record key. Absent: the event id.")
                    .example("order_id"),
            key("source_time", Kind.FIELD)
                    .desc("The field carrying the time the event was made at its source (RFC 3339 text or epoch"
                            + " milliseconds), from which end-to-end latency is measured to the moment a live"
                            + " update is pushed. Absent: the event time.")
                    .example("sent_at"),
            key("partitions", Kind.INT)
                    .def(Integer.toString(StreamDef.DEFAULT_PARTITIONS))
                    .range(1, 10_000)
                    .type("integer ≥ 1")
                    .desc("Partitions of the stream's topic: the unit of parallelism.")
                    .example("${ORDERS_PARTITIONS:-3}"),
            key("retention", Kind.DURATION)
                    .def("7d")
                    .desc("How long Kafka keeps the raw events: the replay horizon.")
                    .example("30d"),
            key("dedup", Kind.DURATION)
                    .def("24h")
                    .desc("How long (in event time) an event id is remembered to drop duplicates.")
                    .example("1h"));

    static final Section TOP = section(
            "pipeline-file",
            "Top level",
            "",
            "",
            key("pipeline", Kind.STRING)
                    .required()
                    .pattern(COMPONENT_NAME)
                    .type("name (`" + COMPONENT_NAME + "`)")
                    .desc("The pipeline's name; it prefixes its Kafka topics and consumer groups.")
                    .example("ecommerce"),
            key("streams", Kind.SECTION_MAP)
                    .required()
                    .section(STREAM)
                    .type("map of name → stream")
                    .desc("At least one. See [Streams](#streams)."),
            key("sources", Kind.SECTION_MAP)
                    .section(SOURCE)
                    .type("map of name → source")
                    .desc("See [Sources](#sources)."),
            key("tables", Kind.SECTION_MAP)
                    .section(TABLE)
                    .type("map of name → table")
                    .desc("See [Tables](#tables)."),
            key("views", Kind.SECTION_MAP)
                    .section(VIEW)
                    .type("map of name → view")
                    .desc("See [Views](#views)."),
            key("sinks", Kind.SECTION_MAP)
                    .section(SINK)
                    .type("map of name → sink")
                    .desc("See [Sinks](#sinks)."));

    /** Every section in reference order. */
    static List<Section> sections() {
        return List.of(TOP, STREAM, SOURCE, GENERATOR_FIELD, TABLE, VIEW, WINDOW, SINK);
    }

    private static Map<String, Section> orderedMap(Object... kv) {
        Map<String, Section> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], (Section) kv[i + 1]);
        }
        return java.util.Collections.unmodifiableMap(m);
    }

    // ---------------------------------------------------------------- conversions

    static final class BadValue extends Exception {
        private static final long serialVersionUID = 1L;

        BadValue(String message) {
            super(message);
        }
    }

    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d)");
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(b|kb|mb|gb|kib|mib|gib)?");

    /** {@code 250ms}, {@code 10s}, {@code 1m}, {@code 2h}, {@code 7d}; {@code 0} only when allowed. */
    static Duration parseDuration(String text, boolean zeroAllowed) throws BadValue {
        String t = text.strip();
        if (zeroAllowed && t.equals("0")) {
            return Duration.ZERO;
        }
        Matcher m = DURATION.matcher(t);
        if (!m.matches()) {
            throw new BadValue("'" + text + "' is not a duration: write a whole number and a unit (ms, s, m, h, d),"
                    + " e.g. 250ms, 10s, 1m, 2h, 7d");
        }
        long n;
        try {
            n = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            throw new BadValue("'" + text + "' is too large a duration");
        }
        if (n == 0 && !zeroAllowed) {
            throw new BadValue("'" + text + "': duration must be greater than 0");
        }
        try {
            return switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
        } catch (ArithmeticException e) {
            throw new BadValue("'" + text + "' is too large a duration");
        }
    }

    /** Bytes: a whole number, or one with a unit B, KB, MB, GB (powers of 1024). */
    static long parseSize(String text) throws BadValue {
        Matcher m = SIZE.matcher(text.strip().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new BadValue("'" + text + "' is not a size: write a whole number of bytes or one with a unit"
                    + " (B, KB, MB, GB), e.g. 512KB, 10MB");
        }
        long unit =
                switch (m.group(2) == null ? "b" : m.group(2)) {
                    case "kb", "kib" -> 1L << 10;
                    case "mb", "mib" -> 1L << 20;
                    case "gb", "gib" -> 1L << 30;
                    default -> 1L;
                };
        try {
            long n = Long.parseLong(m.group(1));
            long bytes = Math.multiplyExact(n, unit);
            if (bytes <= 0) {
                throw new BadValue("'" + text + "': size must be greater than 0");
            }
            return bytes;
        } catch (NumberFormatException | ArithmeticException e) {
            throw new BadValue("'" + text + "' is too large a size");
        }
    }

    /**
     * A scalar value converted to the key's type: String (STRING, PATH, CEL, FIELD, REF, ENUM), Long
     * (INT, SIZE), Double (NUMBER, RATIO), Duration (DURATION).
     */
    static Object convert(Key key, Object value, String text) throws BadValue {
        switch (key.kind()) {
            case INT -> {
                long n = toLong(value, text);
                if (n < key.min() || n > key.max()) {
                    throw new BadValue(
                            key.max() == Long.MAX_VALUE || key.max() == Integer.MAX_VALUE
                                    ? "must be at least " + key.min() + ", got " + n
                                    : "must be between " + key.min() + " and " + key.max() + ", got " + n);
                }
                return n;
            }
            case NUMBER -> {
                return toDouble(value, text);
            }
            case POSITIVE_NUMBER -> {
                double d = toDouble(value, text);
                if (!(d > 0)) {
                    throw new BadValue("must be greater than 0, got " + text);
                }
                return d;
            }
            case RATIO -> {
                double d = toDouble(value, text);
                if (!(d >= 0 && d <= 1)) {
                    throw new BadValue("must be a ratio between 0 and 1, got " + text);
                }
                return d;
            }
            case DURATION -> {
                return parseDuration(text, false);
            }
            case DURATION_OR_ZERO -> {
                return parseDuration(text, true);
            }
            case SIZE -> {
                return parseSize(text);
            }
            case ENUM -> {
                if (!key.values().contains(text)) {
                    throw new BadValue("'" + text + "' is not one of " + String.join(", ", key.values())
                            + didYouMean(text, key.values()));
                }
                return text;
            }
            default -> {
                if (value instanceof Boolean || text.isEmpty()) {
                    throw new BadValue("expected " + key.typeDoc().replace("`", "'") + ", got '" + text + "'");
                }
                if (key.pattern() != null && !key.pattern().matcher(text).matches()) {
                    throw new BadValue("'" + text + "' is not a valid name: use "
                            + key.pattern().pattern());
                }
                return text;
            }
        }
    }

    private static long toLong(Object value, String text) throws BadValue {
        if (value instanceof Long l) {
            return l;
        }
        if (value instanceof BigInteger) {
            throw new BadValue(text + " is too large");
        }
        if (value instanceof String s) {
            try {
                return Long.parseLong(s.strip());
            } catch (NumberFormatException e) {
                // fall through
            }
        }
        throw new BadValue("expected an integer, got '" + text + "'");
    }

    private static double toDouble(Object value, String text) throws BadValue {
        if (value instanceof Number n) {
            return n.doubleValue();
        }
        if (value instanceof String s) {
            try {
                return Double.parseDouble(s.strip());
            } catch (NumberFormatException e) {
                // fall through
            }
        }
        throw new BadValue("expected a number, got '" + text + "'");
    }

    /** The default of a key, converted as if written in the file; null when it has none. */
    static Object defaultOf(Key key) {
        if (key.defaultText() == null || !key.isScalar()) {
            return null;
        }
        try {
            return convert(key, key.defaultText(), key.defaultText());
        } catch (BadValue e) {
            throw new IllegalStateException("bad default of " + key.name() + ": " + e.getMessage(), e);
        }
    }

    // ---------------------------------------------------------------- did you mean

    /**
     * {@code " (did you mean 'x'?)"}, or "" when nothing is close: edit distance ≤ 2 (and less than the
     * typed word's length, so 'k' does not suggest 't'), or one a prefix of the other.
     */
    static String didYouMean(String typed, Collection<String> candidates) {
        String best = null;
        int bestScore = Integer.MAX_VALUE;
        for (String c : candidates) {
            int d = distance(typed.toLowerCase(Locale.ROOT), c.toLowerCase(Locale.ROOT));
            int score;
            if (d <= 2 && d < typed.length()) {
                score = d;
            } else if (typed.length() >= 2 && (c.startsWith(typed) || typed.startsWith(c))) {
                score = 3;
            } else {
                continue;
            }
            if (score < bestScore) {
                best = c;
                bestScore = score;
            }
        }
        return best == null ? "" : " (did you mean '" + best + "'?)";
    }

    /** Damerau-Levenshtein (optimal string alignment) distance, so a swap of two letters counts 1. */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
