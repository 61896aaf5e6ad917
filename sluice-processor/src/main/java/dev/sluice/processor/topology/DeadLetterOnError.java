package dev.sluice.processor.topology;

import dev.sluice.wire.DeadLetter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last line of defence behind the per-record handling in Dedupe, PrepareView and WindowAggregate (which
 * catch what they know and leave state untouched): a Kafka Streams processing exception handler that sends the
 * input record that made any processor throw to {@code <pipeline>.dlq}, with the documented headers (stage
 * {@code process}, rule {@code event}), and lets the task go on instead of failing the stream thread on every
 * retry. The record is written in the task's exactly-once transaction. Configure it with {@link #config}.
 */
public final class DeadLetterOnError implements ProcessingExceptionHandler {
    /** The config key naming the dead-letter topic. */
    public static final String DLQ_TOPIC = "sluice.dlq.topic";

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterOnError.class);
    private static final AtomicLong HANDLED = new AtomicLong();

    private String dlqTopic;

    /** The Streams configuration entries that install the handler for a pipeline's dead-letter topic. */
    public static Map<String, Object> config(String dlqTopic) {
        return Map.of(
                org.apache.kafka.streams.StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG,
                DeadLetterOnError.class.getName(),
                DLQ_TOPIC,
                dlqTopic);
    }

    /** Records this JVM's handlers dead-lettered: each one is a failure the per-record handling missed. */
    public static long handled() {
        return HANDLED.get();
    }

    @Override
    public void configure(Map<String, ?> configs) {
        Object t = configs.get(DLQ_TOPIC);
        if (t == null) {
            throw new IllegalArgumentException(DLQ_TOPIC + " is not set");
        }
        dlqTopic = t.toString();
    }

    @Override
    public Response handleError(ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
        HANDLED.incrementAndGet();
        String origin = context.topic() + "/" + context.partition() + "@" + context.offset();
        LOG.error("processor {} failed on {}; dead-lettered", context.processorNodeId(), origin, exception);
        return Response.resume(List.of(deadLetter(
                dlqTopic, context, "event", "processor " + context.processorNodeId() + " failed: " + exception)));
    }

    /**
     * The dead letter for the input record of {@code context}: the event as it sits in the stream topic, with
     * the documented headers (the stream from the topic's name, the view from the processor's).
     */
    static ProducerRecord<byte[], byte[]> deadLetter(
            String dlqTopic, ErrorHandlerContext context, String rule, String reason) {
        String origin = context.topic() + "/" + context.partition() + "@" + context.offset();
        String pipeline = dlqTopic.endsWith(".dlq") ? dlqTopic.substring(0, dlqTopic.length() - 4) : null;
        String topic = context.topic();
        String stream = pipeline != null && topic != null && topic.startsWith(pipeline + ".")
                ? topic.substring(pipeline.length() + 1)
                : null;
        Headers headers = DeadLetter.headers(context.headers(), "process", stream, null, rule, reason, origin);
        String node = context.processorNodeId();
        for (String suffix : List.of("-aggregate", "-prepare")) {
            if (node != null && node.endsWith(suffix)) {
                DeadLetter.put(headers, DeadLetter.VIEW, node.substring(0, node.length() - suffix.length()));
            }
        }
        byte[] value = eventOf(context.topic(), context.sourceRawValue());
        if (DeadLetter.value(value) != value) {
            DeadLetter.put(headers, DeadLetter.REASON, reason + DeadLetter.tooLargeNote(value));
        }
        return new ProducerRecord<>(dlqTopic, null, context.sourceRawKey(), DeadLetter.value(value), headers);
    }

    /** The event as received: a partials topic carries the event in a partial of one event, else the partial. */
    private static byte[] eventOf(String topic, byte[] raw) {
        if (raw == null || topic == null || !topic.endsWith("-repartition")) {
            return raw;
        }
        try {
            byte[] event = dev.sluice.processor.window.Partial.eventOf(raw);
            return event == null ? raw : event;
        } catch (RuntimeException e) {
            return raw;
        }
    }
}
