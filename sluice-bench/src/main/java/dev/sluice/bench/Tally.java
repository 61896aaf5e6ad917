package dev.sluice.bench;

import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Recorder;

/** What the clients of one phase (one server, one N) record together. */
final class Tally {
    /** Emit-to-receipt delay of every update received while measuring, in microseconds, merged over clients. */
    final Recorder delays = new Recorder(3);
    /** Updates without a readable emit time. */
    final LongAdder unparsed = new LongAdder();
    /** Updates received "before" they were emitted (clock granularity); recorded as 0. */
    final LongAdder negative = new LongAdder();

    volatile boolean measuring;
    volatile boolean closing;
}
