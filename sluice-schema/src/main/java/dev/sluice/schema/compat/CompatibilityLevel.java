package dev.sluice.schema.compat;

import java.util.Arrays;
import java.util.Locale;

/**
 * Confluent Schema Registry compatibility levels. BACKWARD: the new schema can read data written with the latest
 * previous one; FORWARD: the latest previous schema can read data written with the new one; FULL: both;
 * {@code *_TRANSITIVE}: the same against every previous version; NONE: no check.
 */
public enum CompatibilityLevel {
    NONE,
    BACKWARD,
    BACKWARD_TRANSITIVE,
    FORWARD,
    FORWARD_TRANSITIVE,
    FULL,
    FULL_TRANSITIVE;

    /**
     * Case-insensitive.
     *
     * @throws IllegalArgumentException naming the valid values
     */
    public static CompatibilityLevel parse(String s) {
        if (s != null) {
            String upper = s.trim().toUpperCase(Locale.ROOT);
            for (CompatibilityLevel level : values()) {
                if (level.name().equals(upper)) {
                    return level;
                }
            }
        }
        throw new IllegalArgumentException(
                "unknown compatibility level '" + s + "'; valid values are " + Arrays.toString(values()));
    }

    /** Whether the new schema must read data written with previous schemas. */
    public boolean backward() {
        return this == BACKWARD || this == BACKWARD_TRANSITIVE || this == FULL || this == FULL_TRANSITIVE;
    }

    /** Whether previous schemas must read data written with the new schema. */
    public boolean forward() {
        return this == FORWARD || this == FORWARD_TRANSITIVE || this == FULL || this == FULL_TRANSITIVE;
    }

    /** Whether every previous version is checked, not only the latest. */
    public boolean transitive() {
        return this == BACKWARD_TRANSITIVE || this == FORWARD_TRANSITIVE || this == FULL_TRANSITIVE;
    }
}
