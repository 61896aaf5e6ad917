package dev.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A seeded generator of mutated orders for {@link PoisonFuzzIT}: valid orders from {@link OrdersScenario}, and
 * each mutated in one of the ways listed in {@link #MUTATIONS} (wrong types, numbers beyond a double, negative
 * and zero amounts, deep nesting, bad UTF-8, truncated or trailing JSON, missing and extra fields, bad times,
 * very long strings, duplicates...). Each input carries the verdict the orders contract (docs/semantics.md,
 * rule 1, and examples/ecommerce/schemas/orders.schema.json) gives it, decided here from the mutation, not by
 * asking Sluice. The same seed gives the same inputs (event times are relative to the scenario's start).
 */
final class PoisonInputs {
    /**
     * One input: the bytes sent (null: a Kafka tombstone), whether the contract accepts it, and for an accepted
     * one its id ({@code null} when the source assigns one).
     */
    record Input(int n, String mutation, byte[] bytes, boolean valid, String id) {
        String describe() {
            String text = bytes == null ? "<tombstone>" : new String(bytes, StandardCharsets.UTF_8);
            return "#" + n + " " + mutation + " " + (text.length() > 160 ? text.substring(0, 160) + "…" : text);
        }
    }

    /** Every mutation, by name; those ending in "+" keep the event valid. */
    static final List<String> MUTATIONS = List.of(
            "none+",
            "no-event-id+",
            "sent-at+",
            "amount-1e300+",
            "amount-1e-300+",
            "amount-30-digit-integer+",
            "amount-exponent+",
            "user-20000-chars+",
            "user-unicode+",
            "time-offset-micros+",
            "time-3h-late+",
            "time-30m-ahead+",
            "duplicate+",
            "event-id-64-chars+",
            "amount-1e400",
            "amount-minus-1e400",
            "amount-400-digits",
            "amount-1e-400",
            "amount-zero",
            "amount-negative",
            "amount-string",
            "amount-bool",
            "amount-array",
            "amount-nested-30",
            "amount-null",
            "amount-leading-zero",
            "amount-nan-literal",
            "amount-infinity-literal",
            "country-lowercase",
            "country-number",
            "status-unknown",
            "currency-missing",
            "user-missing",
            "order-id-empty",
            "event-id-65-chars",
            "event-id-number",
            "extra-field",
            "nesting-100",
            "nesting-2000",
            "time-yesterday",
            "time-feb-30",
            "time-epoch-number",
            "time-2h-ahead",
            "time-second-60",
            "time-empty",
            "time-space",
            "bad-utf8",
            "overlong-utf8",
            "control-char",
            "truncated",
            "trailing-garbage",
            "two-objects",
            "not-an-object",
            "empty-object");

    /**
     * A valid paid order with a 600 KB user id, counted like any other: the view's records carry its
     * distinct-count sketch, not the event.
     */
    static final String LARGE = "user-600k-chars-paid";

    /** Only over Kafka: messages no HTTP body can be. */
    static final List<String> KAFKA_ONLY = List.of("tombstone", "empty-message", "framed-unknown-schema");

    final OrdersScenario scenario;
    private final Random random;
    private final List<Input> validWithId = new ArrayList<>();
    private int n;
    private int kafkaInputs;
    /** How many inputs each mutation made, to print. */
    final java.util.Map<String, Integer> tally = new java.util.TreeMap<>();

    PoisonInputs(long seed) {
        scenario = new OrdersScenario(seed);
        random = scenario.random;
    }

    private long time() {
        return scenario.t0 + random.nextInt(20 * 60_000);
    }

    /** A valid order, as {@link OrdersScenario} makes them. */
    ObjectNode order() {
        return scenario.order(1_000_000 + n, time());
    }

    /** The next input; over Kafka a few Kafka-only messages are mixed in. */
    Input next(boolean kafka) {
        Input in = draw(kafka);
        tally.merge(in.mutation(), 1, Integer::sum);
        return in;
    }

    private Input draw(boolean kafka) {
        n++;
        if (kafka) {
            kafkaInputs++;
        }
        if (kafka && (kafkaInputs == 10 || random.nextInt(800) == 0)) {
            // about as large as the broker takes (1 MiB): refused (size), and dead-lettered without its value, which
            // would not fit a request together with the dead-letter headers
            ObjectNode o = order();
            o.put("user_id", "u");
            int pad = 1_048_400 - o.toString().getBytes(StandardCharsets.UTF_8).length;
            o.put("user_id", "u" + "z".repeat(pad));
            return new Input(n, "message-1048400-bytes", o.toString().getBytes(StandardCharsets.UTF_8), false, null);
        }
        if (kafka && random.nextInt(40) == 0) {
            return kafkaOnly(KAFKA_ONLY.get(random.nextInt(KAFKA_ONLY.size())));
        }
        if (n == 20 || random.nextInt(500) == 0) {
            ObjectNode o = order();
            o.put("status", "paid");
            o.put("user_id", "u" + "z".repeat(600_000));
            return new Input(
                    n,
                    LARGE,
                    o.toString().getBytes(StandardCharsets.UTF_8),
                    true,
                    o.get("event_id").asText());
        }
        if (random.nextInt(1000) == 0) {
            ObjectNode o = order();
            o.put("user_id", "u" + "z".repeat(950_000));
            return new Input(n, "event-950k-bytes", o.toString().getBytes(StandardCharsets.UTF_8), false, null);
        }
        // half of the inputs are valid, the other half spread over the invalid mutations
        boolean valid = random.nextBoolean();
        List<String> pool =
                MUTATIONS.stream().filter(m -> m.endsWith("+") == valid).toList();
        String m = pool.get(random.nextInt(pool.size()));
        Input in = make(m);
        if (in.valid() && in.id() != null && !m.equals("duplicate+")) {
            validWithId.add(in);
        }
        return in;
    }

    /** A valid order, unmutated. */
    Input valid() {
        n++;
        Input in = make("none+");
        validWithId.add(in);
        return in;
    }

    private Input kafkaOnly(String m) {
        return switch (m) {
            case "tombstone" -> new Input(n, m, null, false, null);
            case "empty-message" -> new Input(n, m, new byte[0], false, null);
            default -> new Input(n, m, new byte[] {0, 0, 0, 0x7f, 0x7f, 2, 'x'}, false, null);
        };
    }

    private Input make(String m) {
        ObjectNode o = order();
        String id = o.get("event_id").asText();
        String json = null; // set when the mutation works on the text
        byte[] bytes = null; // set when it works on the bytes
        switch (m) {
            case "none+" -> {}
            case "no-event-id+" -> {
                o.remove("event_id");
                id = null;
            }
            case "sent-at+" -> o.put("sent_at", Instant.now().toString());
            case "amount-1e300+" -> json = withAmount(o, "1e300");
            case "amount-1e-300+" -> json = withAmount(o, "1e-300");
            case "amount-30-digit-integer+" -> json = withAmount(o, "123456789012345678901234567890");
            case "amount-exponent+" -> json = withAmount(o, "1.25E2");
            case "user-20000-chars+" -> o.put("user_id", "u" + "x".repeat(20_000));
            case "user-unicode+" -> o.put("user_id", "ü-✓-😀-" + random.nextInt(5));
            case "time-offset-micros+" -> {
                Instant t = Instant.ofEpochMilli(time()).plusNanos(123_456_000L + random.nextInt(999) * 1000L);
                o.put("created_at", t.atOffset(ZoneOffset.ofHoursMinutes(5, 30)).toString());
            }
            case "time-3h-late+" ->
                o.put(
                        "created_at",
                        Instant.ofEpochMilli(time() - Duration.ofHours(3).toMillis())
                                .toString());
            case "time-30m-ahead+" ->
                o.put("created_at", Instant.now().plus(Duration.ofMinutes(30)).toString());
            case "duplicate+" -> {
                if (validWithId.isEmpty()) {
                    break;
                }
                Input original = validWithId.get(random.nextInt(validWithId.size()));
                return new Input(n, m, original.bytes(), true, original.id());
            }
            case "event-id-64-chars+" -> {
                id = (id + "-" + "k".repeat(64)).substring(0, 64);
                o.put("event_id", id);
            }
            case "amount-1e400" -> json = withAmount(o, "1e400");
            case "amount-minus-1e400" -> json = withAmount(o, "-1e400");
            case "amount-400-digits" -> json = withAmount(o, "9".repeat(400));
            case "amount-1e-400" -> json = withAmount(o, "1e-400"); // 0.0 as a double: not > 0
            case "amount-zero" -> o.put("amount", 0);
            case "amount-negative" -> o.put("amount", -12.5);
            case "amount-string" -> o.put("amount", "12.50");
            case "amount-bool" -> o.put("amount", true);
            case "amount-array" -> o.putArray("amount").add(12.5);
            case "amount-nested-30" -> json = withAmount(o, "[".repeat(30) + "1" + "]".repeat(30));
            case "amount-null" -> o.putNull("amount");
            case "amount-leading-zero" -> json = withAmount(o, "012");
            case "amount-nan-literal" -> json = withAmount(o, "NaN");
            case "amount-infinity-literal" -> json = withAmount(o, "Infinity");
            case "country-lowercase" -> o.put("country", "de");
            case "country-number" -> o.put("country", 49);
            case "status-unknown" -> o.put("status", "shipped");
            case "currency-missing" -> o.remove("currency");
            case "user-missing" -> o.remove("user_id");
            case "order-id-empty" -> o.put("order_id", "");
            case "event-id-65-chars" -> o.put("event_id", (id + "k".repeat(65)).substring(0, 65));
            case "event-id-number" -> o.put("event_id", 65);
            case "extra-field" -> o.put("coupon", "X");
            case "nesting-100" -> json = withExtra(o, "[".repeat(100) + "]".repeat(100));
            case "nesting-2000" -> json = withExtra(o, "[".repeat(2000) + "]".repeat(2000));
            case "time-yesterday" -> o.put("created_at", "yesterday");
            case "time-feb-30" -> o.put("created_at", "2026-02-30T10:00:00Z");
            case "time-epoch-number" -> o.put("created_at", time());
            case "time-2h-ahead" ->
                o.put("created_at", Instant.now().plus(Duration.ofHours(2)).toString());
            case "time-second-60" -> o.put("created_at", "2026-11-24T10:00:60Z");
            case "time-empty" -> o.put("created_at", "");
            case "time-space" ->
                o.put("created_at", Instant.ofEpochMilli(time()).toString().replace('T', ' '));
            case "bad-utf8" -> bytes = withUserBytes(o, new byte[] {(byte) 0xC3, (byte) 0x28});
            case "overlong-utf8" -> bytes = withUserBytes(o, new byte[] {(byte) 0xC0, (byte) 0xAF});
            case "control-char" -> bytes = withUserBytes(o, new byte[] {0x01});
            case "truncated" -> {
                String full = o.toString();
                json = full.substring(0, 1 + random.nextInt(full.length() - 1));
            }
            case "trailing-garbage" -> json = o + " x";
            case "two-objects" -> json = o.toString() + o;
            case "not-an-object" ->
                json = List.of("[1,2]", "\"an order\"", "42", "null", "true", "[]")
                        .get(random.nextInt(6));
            case "empty-object" -> json = "{}";
            default -> throw new IllegalArgumentException(m);
        }
        if (bytes == null) {
            bytes = (json == null ? o.toString() : json).getBytes(StandardCharsets.UTF_8);
        }
        boolean valid = m.endsWith("+");
        return new Input(n, m, bytes, valid, valid ? id : null);
    }

    /** The order's JSON with the amount written as {@code literal}. */
    private static String withAmount(ObjectNode o, String literal) {
        o.put("amount", "@@");
        return o.toString().replace("\"@@\"", literal);
    }

    private static String withExtra(ObjectNode o, String literal) {
        o.put("extra", "@@");
        return o.toString().replace("\"@@\"", literal);
    }

    private static byte[] withUserBytes(ObjectNode o, byte[] raw) {
        o.put("user_id", "u-@@");
        String[] parts = o.toString().split("@@", 2);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(parts[0].getBytes(StandardCharsets.UTF_8));
        out.writeBytes(raw);
        out.writeBytes(parts[1].getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    /** The amount as the processor reads it: exact when an integer fits a long, else the nearest double. */
    static java.math.BigDecimal amountAsRead(JsonNode amount) {
        if (amount.isIntegralNumber() && amount.canConvertToLong()) {
            return java.math.BigDecimal.valueOf(amount.longValue());
        }
        return java.math.BigDecimal.valueOf(amount.doubleValue());
    }
}
