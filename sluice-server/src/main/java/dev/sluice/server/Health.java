package dev.sluice.server;

import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * What the health endpoints report; each supplier says whether that part is up.
 *
 * @param processor the processor is running or rebalancing (not failed, not stopped) and no stream thread failed
 *     within the last five minutes ({@link ProcessorHealth})
 * @param processorProblem why the processor is not up, or null when it is
 * @param processorReady the processor is running with its state restored: views answer with current data
 * @param store the store answers and its sink's last write succeeded
 * @param sinks the sinks' threads are running (they retry failed writes; a stopped one needs a restart)
 */
public record Health(
        BooleanSupplier broker,
        BooleanSupplier processor,
        Supplier<String> processorProblem,
        BooleanSupplier processorReady,
        BooleanSupplier store,
        BooleanSupplier sinks) {
    /** Whether {@code /health/ready} answers 200: everything a query or a dashboard needs is there. */
    public boolean ready() {
        return broker.getAsBoolean()
                && processor.getAsBoolean()
                && processorReady.getAsBoolean()
                && store.getAsBoolean()
                && sinks.getAsBoolean();
    }
}
