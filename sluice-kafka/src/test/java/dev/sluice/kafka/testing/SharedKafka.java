package dev.sluice.kafka.testing;

import dev.sluice.kafka.EmbeddedKafka;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One embedded Kafka broker per test JVM, started lazily in a fresh temporary directory on a free port and
 * stopped (and its directory deleted) by a JVM shutdown hook. Tests sharing it should use {@link #uniqueName}
 * for topics, groups and application ids.
 */
public final class SharedKafka {

    private static final AtomicLong COUNTER = new AtomicLong();
    private static final Object LOCK = new Object();
    private static volatile EmbeddedKafka instance;

    private SharedKafka() {}

    /** The shared broker, started on first use. */
    public static EmbeddedKafka get() {
        EmbeddedKafka k = instance;
        if (k != null) {
            return k;
        }
        synchronized (LOCK) {
            if (instance == null) {
                instance = startShared();
            }
            return instance;
        }
    }

    /** {@code prefix-<n>-<pid>}: unique within this JVM, and distinct from other JVMs' names. */
    public static String uniqueName(String prefix) {
        return prefix + "-" + COUNTER.incrementAndGet() + "-"
                + ProcessHandle.current().pid();
    }

    private static EmbeddedKafka startShared() {
        Path dir;
        try {
            dir = Files.createTempDirectory("sluice-shared-kafka-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        EmbeddedKafka kafka = EmbeddedKafka.start(dir, 0);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            kafka.close();
                            deleteQuietly(dir);
                        },
                        "shared-kafka-shutdown"));
        return kafka;
    }

    static void deleteQuietly(Path dir) {
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                    Files.deleteIfExists(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException | RuntimeException ignored) {
            // best effort
        }
    }
}
