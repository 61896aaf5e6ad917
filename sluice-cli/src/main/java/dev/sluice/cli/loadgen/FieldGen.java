package dev.sluice.cli.loadgen;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;

/** How one field's values are made (docs/loadgen.md, "Field generators"). */
abstract class FieldGen {
    static final JsonNodeFactory F = JsonNodeFactory.instance;

    /** What a generator may look at: the random source, the event so far, and its event time. */
    record Ctx(SplittableRandom random, ObjectNode event, long eventTimeMs) {}

    /** The value for this event; null for time: source (set when sent). */
    abstract JsonNode next(Ctx c);

    /** Whether the field is stamped at send time ({@code time: source}). */
    boolean sourceTime() {
        return false;
    }

    /** Whether the field is the event time ({@code time: event}). */
    boolean eventTime() {
        return false;
    }

    /** Thrown with the scenario key at fault. */
    static final class SpecException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        SpecException(String where, String message) {
            super(where + ": " + message);
        }
    }

    static FieldGen of(String where, JsonNode spec) {
        if (spec == null || !spec.isObject() || spec.size() != 1) {
            throw new SpecException(where, "expected one generator, e.g. {uniform: {min: 1, max: 10}}");
        }
        String kind = spec.fieldNames().next();
        JsonNode a = spec.get(kind);
        String at = where + "." + kind;
        return switch (kind) {
            case "uuid" ->
                new FieldGen() {
                    @Override
                    JsonNode next(Ctx c) {
                        return F.textNode(
                                new UUID(c.random().nextLong(), c.random().nextLong()).toString());
                    }
                };
            case "sequence" ->
                new FieldGen() {
                    final String prefix = a.path("prefix").asText("");
                    long n = a.path("start").asLong(0);

                    @Override
                    JsonNode next(Ctx c) {
                        return F.textNode(prefix + n++);
                    }
                };
            case "zipf" -> {
                int n = positiveInt(at, a, "n");
                Zipf z = new Zipf(n, a.path("exponent").asDouble(1.0));
                String prefix = a.path("prefix").asText("");
                yield new FieldGen() {
                    @Override
                    JsonNode next(Ctx c) {
                        return F.textNode(prefix + z.sample(c.random()));
                    }
                };
            }
            case "oneof" -> {
                JsonNode values = a.path("values");
                if (!values.isArray() || values.isEmpty()) {
                    throw new SpecException(at, "needs values: [a, b, ...]");
                }
                List<JsonNode> vs = new ArrayList<>();
                values.forEach(vs::add);
                Zipf z = a.has("zipf") ? new Zipf(vs.size(), a.get("zipf").asDouble()) : null;
                yield new FieldGen() {
                    @Override
                    JsonNode next(Ctx c) {
                        return vs.get(z == null ? c.random().nextInt(vs.size()) : z.sample(c.random()) - 1);
                    }
                };
            }
            case "weighted" -> {
                if (!a.isObject() || a.isEmpty()) {
                    throw new SpecException(at, "needs value: weight pairs, e.g. {paid: 80, placed: 20}");
                }
                List<String> vs = new ArrayList<>();
                List<Double> cum = new ArrayList<>();
                double total = 0;
                for (Map.Entry<String, JsonNode> e : a.properties()) {
                    if (!e.getValue().isNumber() || e.getValue().asDouble() < 0) {
                        throw new SpecException(at + "." + e.getKey(), "weight must be a number >= 0");
                    }
                    total += e.getValue().asDouble();
                    vs.add(e.getKey());
                    cum.add(total);
                }
                double sum = total;
                yield new FieldGen() {
                    @Override
                    JsonNode next(Ctx c) {
                        double x = c.random().nextDouble() * sum;
                        for (int i = 0; i < vs.size(); i++) {
                            if (x < cum.get(i)) {
                                return F.textNode(vs.get(i));
                            }
                        }
                        return F.textNode(vs.get(vs.size() - 1));
                    }
                };
            }
            case "uniform" -> {
                double min = number(at, a, "min");
                double max = number(at, a, "max");
                int decimals = a.path("decimals").asInt(0);
                yield new FieldGen() {
                    @Override
                    JsonNode next(Ctx c) {
                        return round(min + c.random().nextDouble() * (max - min), decimals);
                    }
                };
            }
            case "normal" -> {
                double mean = number(at, a, "mean");
                double sd = number(at, a, "stddev");
                double min = a.path("min").asDouble(Double.NEGATIVE_INFINITY);
                double max = a.path("max").asDouble(Double.POSITIVE_INFINITY);
                int decimals = a.path("decimals").asInt(2);
                yield new FieldGen() {
                    @Override
                    JsonNode next(Ctx c) {
                        return round(Math.max(min, Math.min(max, mean + sd * gaussian(c.random()))), decimals);
                    }
                };
            }
            case "walk" -> {
                String by = a.path("by").asText(null);
                double start = number(at, a, "start");
                double step = number(at, a, "step");
                double min = a.path("min").asDouble(0);
                int decimals = a.path("decimals").asInt(2);
                Map<String, Double> level = new HashMap<>();
                yield new FieldGen() {
                    @Override
                    JsonNode next(Ctx c) {
                        String k = by == null ? "" : c.event().path(by).asText();
                        double v = level.getOrDefault(k, start) + (c.random().nextDouble() * 2 - 1) * step;
                        v = Math.max(min, v);
                        level.put(k, v);
                        return round(v, decimals);
                    }
                };
            }
            case "spike" -> {
                FieldGen of = FieldGen.of(at + ".of", a.get("of"));
                double chance = a.path("chance").asDouble(1) / 100.0;
                double factor = a.path("factor").asDouble(3);
                yield new FieldGen() {
                    @Override
                    JsonNode next(Ctx c) {
                        JsonNode v = of.next(c);
                        if (c.random().nextDouble() < chance && v.isNumber()) {
                            BigDecimal b = v.decimalValue().multiply(BigDecimal.valueOf(factor));
                            return v.isIntegralNumber()
                                    ? F.numberNode(
                                            b.setScale(0, RoundingMode.HALF_UP).longValue())
                                    : F.numberNode(b.stripTrailingZeros());
                        }
                        return v;
                    }
                };
            }
            case "const" -> {
                JsonNode v = a.has("value") ? a.get("value") : a;
                yield new FieldGen() {
                    @Override
                    JsonNode next(Ctx c) {
                        return v;
                    }
                };
            }
            case "time" -> {
                String which = a.asText();
                if (which.equals("event")) {
                    yield new FieldGen() {
                        @Override
                        JsonNode next(Ctx c) {
                            return F.textNode(java.time.Instant.ofEpochMilli(c.eventTimeMs())
                                    .toString());
                        }

                        @Override
                        boolean eventTime() {
                            return true;
                        }
                    };
                }
                if (which.equals("source")) {
                    yield new FieldGen() {
                        @Override
                        JsonNode next(Ctx c) {
                            return null;
                        }

                        @Override
                        boolean sourceTime() {
                            return true;
                        }
                    };
                }
                throw new SpecException(at, "is 'event' or 'source', not '" + which + "'");
            }
            default ->
                throw new SpecException(
                        where,
                        "unknown generator '" + kind
                                + "'; use uuid, sequence, zipf, oneof, weighted, uniform, normal, walk, spike, const"
                                + " or time");
        };
    }

    static JsonNode round(double v, int decimals) {
        if (decimals <= 0) {
            return F.numberNode(Math.round(v));
        }
        return F.numberNode(BigDecimal.valueOf(v).setScale(decimals, RoundingMode.HALF_UP));
    }

    static double gaussian(SplittableRandom r) {
        // Box-Muller on the seeded source
        double u1 = Math.max(r.nextDouble(), 1e-300);
        double u2 = r.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    static double number(String at, JsonNode a, String key) {
        if (!a.path(key).isNumber()) {
            throw new SpecException(at, "needs " + key + ": a number");
        }
        return a.get(key).asDouble();
    }

    static int positiveInt(String at, JsonNode a, String key) {
        if (!a.path(key).canConvertToInt() || a.get(key).asInt() < 1) {
            throw new SpecException(at, "needs " + key + ": an integer >= 1");
        }
        return a.get(key).asInt();
    }

    /** Keys 1..n drawn with weight 1/k^s, by inverting the cumulative weights (binary search). */
    static final class Zipf {
        private final double[] cum;

        Zipf(int n, double s) {
            cum = new double[n];
            double total = 0;
            for (int k = 1; k <= n; k++) {
                total += 1.0 / Math.pow(k, s);
                cum[k - 1] = total;
            }
            for (int i = 0; i < n; i++) {
                cum[i] /= total;
            }
        }

        int sample(SplittableRandom r) {
            double x = r.nextDouble();
            int lo = 0;
            int hi = cum.length - 1;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (cum[mid] < x) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            return lo + 1;
        }
    }
}
