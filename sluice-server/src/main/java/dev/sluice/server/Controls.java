package dev.sluice.server;

import java.util.function.Supplier;

/**
 * Operator controls of the running pipeline that the HTTP API exposes.
 *
 * @param pauseProcessor holds the Kafka Streams processor (input waits in Kafka)
 * @param resumeProcessor lets it go on
 * @param processorState a word for the dashboard: running, paused, rebalancing, down
 */
public record Controls(Runnable pauseProcessor, Runnable resumeProcessor, Supplier<String> processorState) {}
