package dev.sluice.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;

/** Where events enter a stream. */
public sealed interface SourceDef {

    String name();

    /** The stream the source's events are validated against and written to. */
    String stream();

    /**
     * {@code POST /v1/streams/{stream}/events}.
     *
     * @param maxBodyBytes larger request bodies are refused with 413
     * @param maxInFlightEvents events waiting for Kafka's acknowledgement beyond which requests get
     *     429
     */
    record Http(String name, String stream, long maxBodyBytes, int maxInFlightEvents) implements SourceDef {
        public static final long DEFAULT_MAX_BODY_BYTES = 10L * 1024 * 1024;
        public static final int DEFAULT_MAX_IN_FLIGHT_EVENTS = 200_000;
    }

    /**
     * Reads events, one per message, from a Kafka topic.
     *
     * @param format {@code auto}, {@code json} or {@code confluent} (the Confluent wire format)
     * @param startFrom {@code earliest} or {@code latest}, where a new pipeline starts reading
     */
    record Kafka(String name, String stream, String topic, String format, String startFrom) implements SourceDef {}

    /**
     * Synthesises events from the stream's schema, for demos and load.
     *
     * @param ratePerSecond events per second
     * @param limit stop after this many events; 0 means run until stopped
     * @param duplicateRatio share of events sent twice
     * @param lateRatio share of events whose time lies in the past (see {@code lateBy})
     * @param lateBy how far in the past a late event's time lies, at most
     * @param fields per-field overrides: {@code values} (a list to pick from), {@code min}/{@code
     *     max}, {@code cardinality}
     */
    record Generator(
            String name,
            String stream,
            double ratePerSecond,
            long limit,
            double duplicateRatio,
            double lateRatio,
            java.time.Duration lateBy,
            Map<String, JsonNode> fields)
            implements SourceDef {}
}
