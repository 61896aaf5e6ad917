package dev.sluice.processor.state;

import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.internals.InternalProcessorContext;
import org.apache.kafka.streams.processor.internals.ProcessorNode;
import org.apache.kafka.streams.processor.internals.ProcessorRecordContext;

/**
 * Lets a processor forward records from the work its {@link WriteBackStore} runs as Kafka Streams prepares a
 * commit ({@link WriteBackStore#beforeEachCommit}), so that what it sends once per commit goes into that
 * commit's transaction.
 *
 * <p>Kafka Streams flushes a task's store caches ({@code ProcessorStateManager.flushCache}) before it flushes the
 * producer and commits; its own record cache forwards the cached updates downstream from there, after pointing
 * the task's context at the processor that owns the store. This does the same: it remembers the processor's node
 * when the processor is initialised and, around the work, makes that node current with a record context of its
 * own (no input record: as for a punctuation), then puts back what was there. Both are internals of Kafka Streams
 * (4.3); a context that is not Kafka Streams' own (a test's {@code MockProcessorContext}) needs neither.
 */
public final class CommitWork {
    private CommitWork() {}

    /**
     * Wraps {@code work} so it may call {@code context.forward} when a store runs it during a commit. Call from the
     * processor's {@code init}, where the context's current node is the processor's.
     *
     * @param timestamp the timestamp of the record context the work forwards under, read when it runs
     */
    public static Runnable forwarding(
            ProcessorContext<?, ?> context, java.util.function.LongSupplier timestamp, Runnable work) {
        if (!(context instanceof InternalProcessorContext<?, ?> internal)) {
            return work;
        }
        ProcessorNode<?, ?, ?, ?> node = internal.currentNode();
        return () -> {
            ProcessorNode<?, ?, ?, ?> previousNode = internal.currentNode();
            ProcessorRecordContext previousRecord = internal.recordContext();
            internal.setCurrentNode(node);
            internal.setRecordContext(
                    new ProcessorRecordContext(Math.max(0, timestamp.getAsLong()), -1L, -1, null, new RecordHeaders()));
            try {
                work.run();
            } finally {
                internal.setRecordContext(previousRecord);
                internal.setCurrentNode(previousNode);
            }
        };
    }
}
