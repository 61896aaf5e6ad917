package dev.sluice.wire;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/** Reads an event's time field: an RFC 3339 timestamp or epoch milliseconds. */
public final class EventTime {
    /** 0000-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z: what RFC 3339 can write, and so the range of epoch ms. */
    static final long MIN_EPOCH_MS = -62_167_219_200_000L;

    static final long MAX_EPOCH_MS = 253_402_300_799_999L;

    private EventTime() {}

    /**
     * @return epoch milliseconds
     * @throws IllegalArgumentException naming the field when it is absent or not a time
     */
    public static long of(JsonNode event, String field) {
        return ofValue(event.get(field), field);
    }

    /**
     * The epoch milliseconds of {@code v}, a JSON value as Java ({@code Expressions.valueOf}: text, {@link Long}
     * for an integer, {@link Double}, ...), the value of the time field {@code field} (null when absent); as
     * {@link #ofValue}, with its errors, except that an integer beyond a long, already a double, is not epoch ms.
     */
    public static long ofJava(Object v, String field) {
        if (v == null) {
            throw missing(field);
        }
        if (v instanceof Long l) {
            if (l < MIN_EPOCH_MS || l > MAX_EPOCH_MS) {
                throw outOfRange(field, Long.toString(l));
            }
            return l;
        }
        if (v instanceof String s) {
            return ofText(s, field);
        }
        throw neither(field);
    }

    private static IllegalArgumentException missing(String field) {
        return new IllegalArgumentException("time field '" + field + "' is missing");
    }

    private static IllegalArgumentException neither(String field) {
        return new IllegalArgumentException("time field '" + field + "' is neither RFC 3339 text nor epoch ms");
    }

    private static IllegalArgumentException outOfRange(String field, String epochMs) {
        return new IllegalArgumentException("time field '" + field + "' is out of range: epoch ms " + epochMs
                + " is not between years 0000 and 9999");
    }

    private static long ofText(String text, String field) {
        long fast = parseFast(text);
        if (fast != Long.MIN_VALUE) {
            return fast;
        }
        try {
            return OffsetDateTime.parse(text, DateTimeFormatter.ISO_OFFSET_DATE_TIME)
                    .toInstant()
                    .toEpochMilli();
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("time field '" + field + "' is not an RFC 3339 timestamp: " + text, e);
        }
    }

    /** The epoch milliseconds of {@code v}, the value of the time field {@code field} (null when absent). */
    public static long ofValue(JsonNode v, String field) {
        if (v == null || v.isNull()) {
            throw missing(field);
        }
        if (v.isIntegralNumber()) {
            if (!v.canConvertToLong() || v.longValue() < MIN_EPOCH_MS || v.longValue() > MAX_EPOCH_MS) {
                throw outOfRange(field, v.asText());
            }
            return v.longValue();
        }
        if (v.isTextual()) {
            return ofText(v.textValue(), field);
        }
        throw neither(field);
    }

    /**
     * The common shapes of RFC 3339, {@code 2026-11-25T17:03:39Z}, {@code 2026-11-25T17:03:39.155Z} (any number of
     * fraction digits) and {@code ...+01:00}, read by hand: the formatter-based parse cost a twentieth of the
     * processor's time in a profile. Returns {@link Long#MIN_VALUE} for anything else (the formatter decides then).
     */
    static long parseFast(String t) {
        int n = t.length();
        if (n < 20
                || t.charAt(4) != '-'
                || t.charAt(7) != '-'
                || (t.charAt(10) != 'T' && t.charAt(10) != 't')
                || t.charAt(13) != ':'
                || t.charAt(16) != ':') {
            return Long.MIN_VALUE;
        }
        int year = digits(t, 0, 4);
        int month = digits(t, 5, 2);
        int day = digits(t, 8, 2);
        int hour = digits(t, 11, 2);
        int minute = digits(t, 14, 2);
        int second = digits(t, 17, 2);
        if ((year | month | day | hour | minute | second) < 0 || hour > 23 || minute > 59 || second > 59) {
            return Long.MIN_VALUE;
        }
        int i = 19;
        long millis = 0;
        if (i < n && t.charAt(i) == '.') {
            int start = ++i;
            while (i < n && t.charAt(i) >= '0' && t.charAt(i) <= '9') {
                if (i - start < 3) {
                    millis = millis * 10 + (t.charAt(i) - '0');
                }
                i++;
            }
            if (i == start) {
                return Long.MIN_VALUE;
            }
            for (int k = Math.min(i - start, 3); k < 3; k++) {
                millis *= 10;
            }
        }
        long offsetSeconds;
        if (i == n - 1 && (t.charAt(i) == 'Z' || t.charAt(i) == 'z')) {
            offsetSeconds = 0;
        } else if (i == n - 6 && (t.charAt(i) == '+' || t.charAt(i) == '-') && t.charAt(i + 3) == ':') {
            int oh = digits(t, i + 1, 2);
            int om = digits(t, i + 4, 2);
            if ((oh | om) < 0 || oh > 23 || om > 59) {
                return Long.MIN_VALUE;
            }
            offsetSeconds = (t.charAt(i) == '+' ? 1 : -1) * (oh * 3600L + om * 60L);
        } else {
            return Long.MIN_VALUE;
        }
        long epochDay;
        try {
            epochDay = java.time.LocalDate.of(year, month, day).toEpochDay();
        } catch (java.time.DateTimeException e) {
            return Long.MIN_VALUE; // e.g. February 30th: the formatter gives the message
        }
        return ((epochDay * 86_400 + hour * 3600L + minute * 60L + second) - offsetSeconds) * 1000 + millis;
    }

    private static int digits(String t, int from, int count) {
        int v = 0;
        for (int i = from; i < from + count; i++) {
            char c = t.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v;
    }

    /** RFC 3339 in UTC with millisecond precision, as the HTTP API writes times. */
    public static String format(long epochMillis) {
        return DateTimeFormatter.ISO_INSTANT.format(Instant.ofEpochMilli(epochMillis));
    }
}
