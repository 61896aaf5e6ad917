package dev.sluice.cli;

import dev.sluice.processor.state.BoundedRocksDbMemory;
import dev.sluice.sinks.duckdb.DuckDbStore;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * The memory of the parts of {@code sluice run} that live outside the Java heap (the heap itself is the
 * launcher's {@code -Xmx}); docs/operations.md, "Memory", says what each bounds and when to raise it.
 */
final class MemoryOptions {
    @Option(
            names = "--rocksdb-memory",
            paramLabel = "SIZE",
            defaultValue = "128MB",
            converter = Size.class,
            description = "all of the processor's RocksDB stores together: block cache, indexes and filters,"
                    + " memtables (default: ${DEFAULT-VALUE})")
    long rocksDbBytes = BoundedRocksDbMemory.DEFAULT_TOTAL_BYTES;

    @Option(
            names = "--duckdb-memory",
            paramLabel = "SIZE",
            defaultValue = "1GB",
            converter = Size.class,
            description =
                    "DuckDB's memory_limit: its buffer pool, indexes and query memory (default: ${DEFAULT-VALUE})")
    long duckDbBytes = DuckDbStore.Settings.DEFAULT_MEMORY_LIMIT_BYTES;

    @Option(
            names = "--duckdb-threads",
            paramLabel = "N",
            defaultValue = "2",
            converter = Threads.class,
            description = "DuckDB's threads (default: ${DEFAULT-VALUE})")
    int duckDbThreads = DuckDbStore.Settings.DEFAULT_THREADS;

    SluiceRuntime.Memory memory() {
        return new SluiceRuntime.Memory(rocksDbBytes, new DuckDbStore.Settings(duckDbBytes, duckDbThreads));
    }

    /** A number of threads: 1 or more. */
    static final class Threads implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String text) {
            try {
                int n = Integer.parseInt(text.strip());
                if (n >= 1) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // below
            }
            throw new TypeConversionException("'" + text + "' is not a number of threads (1 or more)");
        }
    }

    /** Bytes: a whole number, or one with a unit B, KB, MB, GB (powers of 1024), as sizes in a pipeline file. */
    static final class Size implements ITypeConverter<Long> {
        private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(b|kb|mb|gb|kib|mib|gib)?");

        @Override
        public Long convert(String text) {
            Matcher m = SIZE.matcher(text.strip().toLowerCase(Locale.ROOT));
            if (!m.matches()) {
                throw new TypeConversionException("'" + text + "' is not a size: write a whole number of bytes or"
                        + " one with a unit (B, KB, MB, GB), e.g. 64MB, 1GB");
            }
            long unit =
                    switch (m.group(2) == null ? "b" : m.group(2)) {
                        case "kb", "kib" -> 1L << 10;
                        case "mb", "mib" -> 1L << 20;
                        case "gb", "gib" -> 1L << 30;
                        default -> 1L;
                    };
            try {
                long bytes = Math.multiplyExact(Long.parseLong(m.group(1)), unit);
                if (bytes <= 0) {
                    throw new TypeConversionException("'" + text + "': size must be greater than 0");
                }
                return bytes;
            } catch (NumberFormatException | ArithmeticException e) {
                throw new TypeConversionException("'" + text + "' is too large a size");
            }
        }
    }
}
