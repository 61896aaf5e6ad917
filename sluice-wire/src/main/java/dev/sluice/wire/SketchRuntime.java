package dev.sluice.wire;

import org.apache.datasketches.memory.Memory;

/**
 * Loads DataSketches' memory layer on any JDK from 21 up.
 *
 * <p>datasketches-memory 3.x (the last line that runs on Java 21 without preview features) refuses, in a
 * static initializer, any JDK newer than 21 although its heap-backed code works unchanged on later ones
 * (the newer 9.x line needs Java 25 as its minimum). The check reads {@code java.version} once; this class
 * presents a supported version for that single read, then restores the real one. See docs/architecture.md,
 * "Dependencies".
 */
final class SketchRuntime {
    private SketchRuntime() {}

    static {
        String real = System.getProperty("java.version");
        boolean newer = Runtime.version().feature() > 21;
        if (newer) {
            System.setProperty("java.version", "21");
        }
        try {
            Memory.wrap(new byte[8]).getLong(0);
        } finally {
            if (newer) {
                System.setProperty("java.version", real);
            }
        }
    }

    /** Forces the static initializer above to run. */
    static void ensureLoaded() {
        // the work happens in the class initializer, once per JVM
    }
}
