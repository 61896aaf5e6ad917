package dev.sluice.processor;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A stream event parsed once by the processor and handed on within a sub-topology (never
 * serialized).
 *
 * @param time event time, epoch ms
 * @param raw the event's JSON bytes as they sit in the stream topic
 */
public record ParsedEvent(String id, long time, JsonNode event, byte[] raw) {}
