package dev.sluice.sources;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.UUID;

/** UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then random bits; sorts by time. */
public final class Uuid7 {
    private static final SecureRandom RANDOM = new SecureRandom();

    private Uuid7() {}

    public static UUID next(Clock clock) {
        long ms = clock.millis();
        long hi = (ms << 16) | 0x7000L | (RANDOM.nextInt() & 0x0FFFL);
        long lo = (RANDOM.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new UUID(hi, lo);
    }
}
