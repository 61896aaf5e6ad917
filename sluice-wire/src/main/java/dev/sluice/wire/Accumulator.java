package dev.sluice.wire;

import dev.sluice.pipeline.MeasureDef;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.datasketches.hll.HllSketch;
import org.apache.datasketches.hll.TgtHllType;
import org.apache.datasketches.hll.Union;
import org.apache.datasketches.kll.KllDoublesSketch;
import org.apache.datasketches.memory.Memory;
import org.apache.datasketches.quantilescommon.QuantileSearchCriteria;

/**
 * The mergeable state of one view row (one window and group): a slot per measure, plus the number
 * of events folded in, which is the row's version.
 *
 * <p>Why mergeable: the live path folds events one at a time, but a late event (after grace) is
 * shipped to the store as a one-event accumulator and merged into the stored row there, so stored
 * numbers are corrected however late an event arrives. Sums are exact ({@link BigDecimal}); distinct
 * counts use an HLL sketch (lgK {@value #HLL_LG_K}: exact up to a few hundred values, then about 1.6%
 * relative standard error); quantiles use a KLL sketch (k {@value #KLL_K}: about 1.65% normalized
 * rank error).
 */
public final class Accumulator {
    static {
        SketchRuntime.ensureLoaded();
    }

    public static final int HLL_LG_K = 12;
    public static final int KLL_K = 200;

    private final List<MeasureDef> measures;
    private long events;
    private final long[] counts;
    private final BigDecimal[] sums;
    private final double[] mins;
    private final double[] maxs;
    /** Distinct counts updated value by value (a partial, a fresh row): a sketch. */
    private final HllSketch[] hlls;
    /**
     * Distinct counts that took a merge: a union, merged into in place. ({@code Union.getResult} builds a new
     * sketch in the compact 4-bit form, which cost a third of the processor's time in a profile when done per
     * merge.) A slot holds a sketch or a union, never both.
     */
    private final Union[] unions;

    private final KllDoublesSketch[] klls;

    public Accumulator(List<MeasureDef> measures) {
        this.measures = measures;
        int n = measures.size();
        counts = new long[n];
        sums = new BigDecimal[n];
        mins = new double[n];
        maxs = new double[n];
        hlls = new HllSketch[n];
        unions = new Union[n];
        klls = new KllDoublesSketch[n];
        for (int i = 0; i < n; i++) {
            sums[i] = BigDecimal.ZERO;
            mins[i] = Double.POSITIVE_INFINITY;
            maxs[i] = Double.NEGATIVE_INFINITY;
        }
    }

    /** Events folded in so far: the version of the row. */
    public long version() {
        return events;
    }

    /**
     * Folds one event in. {@code values} maps field names to the event's values (String, Number,
     * Boolean, or null when absent); absent values are skipped by every measure but {@code count}.
     *
     * <p>All or nothing: every value is checked first (a number, finite, and a sum that stays within a
     * double), so an event that fails leaves the accumulator as it was.
     *
     * @throws Unprocessable naming the measure's field when a value cannot be folded in
     */
    public void add(Map<String, ?> values) {
        add(values, check(values));
    }

    /**
     * Folds one event in whose values {@link #check} has just accepted, with the decimals it returned (nothing
     * changed in between): the check is not repeated.
     */
    public void add(Map<String, ?> values, BigDecimal[] decimals) {
        events++;
        for (int i = 0; i < measures.size(); i++) {
            MeasureDef m = measures.get(i);
            if (m.kind() == MeasureDef.Kind.COUNT) {
                counts[i]++;
                continue;
            }
            Object v = values.get(m.field());
            if (v == null) {
                continue;
            }
            if (m.kind() == MeasureDef.Kind.COUNT_DISTINCT) {
                if (unions[i] != null) {
                    if (v instanceof Number num) {
                        unions[i].update(num.doubleValue());
                    } else {
                        unions[i].update(v.toString());
                    }
                } else {
                    if (hlls[i] == null) {
                        hlls[i] = new HllSketch(HLL_LG_K);
                    }
                    if (v instanceof Number num) {
                        hlls[i].update(num.doubleValue());
                    } else {
                        hlls[i].update(v.toString());
                    }
                }
                counts[i]++;
                continue;
            }
            BigDecimal d = decimals[i];
            double x = d.doubleValue();
            counts[i]++;
            sums[i] = sums[i].add(d);
            mins[i] = Math.min(mins[i], x);
            maxs[i] = Math.max(maxs[i], x);
            if (isQuantile(m.kind())) {
                if (klls[i] == null) {
                    klls[i] = KllDoublesSketch.newHeapInstance(KLL_K);
                }
                klls[i].update(x);
            }
        }
    }

    /**
     * Checks that {@code values} can be folded in (each a number where the measure needs one, finite, and every
     * sum staying within a double) without changing anything; returns the values as decimals, by measure.
     *
     * @throws Unprocessable naming the measure's field when a value cannot be folded in
     */
    public BigDecimal[] check(Map<String, ?> values) {
        BigDecimal[] decimals = new BigDecimal[measures.size()];
        for (int i = 0; i < measures.size(); i++) {
            MeasureDef m = measures.get(i);
            Object v = m.kind() == MeasureDef.Kind.COUNT ? null : values.get(m.field());
            if (v == null || m.kind() == MeasureDef.Kind.COUNT_DISTINCT) {
                continue;
            }
            decimals[i] = decimal(v, m);
            if (!Double.isFinite(sums[i].add(decimals[i]).doubleValue())) {
                throw new Unprocessable(
                        m.field(),
                        "measure",
                        m.kind().keyword() + "(" + m.field() + "): adding " + decimals[i]
                                + " takes the sum beyond the range of a double");
            }
        }
        return decimals;
    }

    private static boolean isQuantile(MeasureDef.Kind k) {
        return k == MeasureDef.Kind.P50 || k == MeasureDef.Kind.P95 || k == MeasureDef.Kind.P99;
    }

    private static BigDecimal decimal(Object v, MeasureDef m) {
        String what = m.kind().keyword() + "(" + m.field() + "): value ";
        if (v instanceof BigDecimal b) {
            if (!Double.isFinite(b.doubleValue())) {
                throw new Unprocessable(m.field(), "measure", what + b + " is out of range (not finite)");
            }
            return b;
        }
        if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof BigInteger) {
            BigDecimal b = new BigDecimal(v.toString());
            if (!Double.isFinite(b.doubleValue())) {
                throw new Unprocessable(m.field(), "measure", what + v + " is out of range (not finite)");
            }
            return b;
        }
        if (v instanceof Number n) {
            double d = n.doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                throw new Unprocessable(m.field(), "measure", what + d + " is not finite");
            }
            return BigDecimal.valueOf(d);
        }
        throw new Unprocessable(m.field(), "measure", what + "'" + shorten(v.toString()) + "' is not a number");
    }

    private static String shorten(String s) {
        return s.length() <= 80 ? s : s.substring(0, 80) + "… (" + s.length() + " characters)";
    }

    /**
     * Checks that {@code other} can be merged in (every sum staying within a double) without changing anything.
     *
     * @throws Unprocessable naming the measure's field when a sum would leave the range
     */
    public void checkMerge(Accumulator other) {
        for (int i = 0; i < measures.size(); i++) {
            if (other.counts[i] == 0 || measures.get(i).kind() == MeasureDef.Kind.COUNT) {
                continue;
            }
            if (!Double.isFinite(sums[i].add(other.sums[i]).doubleValue())) {
                MeasureDef m = measures.get(i);
                throw new Unprocessable(
                        m.field(),
                        "measure",
                        m.kind().keyword() + "(" + m.field() + "): adding " + other.sums[i].doubleValue() + " ("
                                + other.events
                                + (other.events == 1 ? " event" : " events")
                                + ") takes the sum beyond the range of a double");
            }
        }
    }

    /** Folds another accumulator of the same view in; versions add up. */
    public void merge(Accumulator other) {
        events += other.events;
        for (int i = 0; i < measures.size(); i++) {
            counts[i] += other.counts[i];
            sums[i] = sums[i].add(other.sums[i]);
            mins[i] = Math.min(mins[i], other.mins[i]);
            maxs[i] = Math.max(maxs[i], other.maxs[i]);
            if (other.hlls[i] != null || other.unions[i] != null) {
                if (unions[i] == null) {
                    unions[i] = new Union(HLL_LG_K);
                    if (hlls[i] != null) {
                        unions[i].update(hlls[i]);
                        hlls[i] = null;
                    }
                }
                unions[i].update(other.hlls[i] != null ? other.hlls[i] : other.unions[i].getResult(TgtHllType.HLL_8));
            }
            if (other.klls[i] != null) {
                if (klls[i] == null) {
                    klls[i] = KllDoublesSketch.newHeapInstance(KLL_K);
                }
                klls[i].merge(other.klls[i]);
            }
        }
    }

    /** The value of each measure, by name, in declaration order (null where no value was seen). */
    public Map<String, Object> results() {
        Map<String, Object> out = new LinkedHashMap<>();
        for (int i = 0; i < measures.size(); i++) {
            out.put(measures.get(i).name(), result(i));
        }
        return out;
    }

    /** The value of measure {@code i}: Long for counts, Double otherwise, null when undefined. */
    public Object result(int i) {
        MeasureDef m = measures.get(i);
        return switch (m.kind()) {
            case COUNT -> counts[i];
            case SUM -> sums[i].doubleValue();
            case MIN -> counts[i] == 0 ? null : mins[i];
            case MAX -> counts[i] == 0 ? null : maxs[i];
            case AVG -> counts[i] == 0 ? null : sums[i].doubleValue() / counts[i];
            case COUNT_DISTINCT ->
                unions[i] != null
                        ? Math.round(unions[i].getEstimate())
                        : hlls[i] == null ? 0L : Math.round(hlls[i].getEstimate());
            case P50, P95, P99 ->
                klls[i] == null || klls[i].isEmpty()
                        ? null
                        : klls[i].getQuantile(m.kind().quantileRank(), QuantileSearchCriteria.INCLUSIVE);
        };
    }

    /** The exact sum of measure {@code i}. */
    public BigDecimal exactSum(int i) {
        return sums[i];
    }

    private static final int FORMAT = 1;

    public byte[] toBytes() {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeByte(FORMAT);
            out.writeLong(events);
            out.writeShort(measures.size());
            for (int i = 0; i < measures.size(); i++) {
                out.writeLong(counts[i]);
                byte[] unscaled = sums[i].unscaledValue().toByteArray();
                out.writeInt(sums[i].scale());
                out.writeShort(unscaled.length);
                out.write(unscaled);
                out.writeDouble(mins[i]);
                out.writeDouble(maxs[i]);
                writeBlob(
                        out,
                        unions[i] != null
                                ? unions[i].toCompactByteArray()
                                : hlls[i] == null ? null : hlls[i].toCompactByteArray());
                writeBlob(out, klls[i] == null ? null : klls[i].toByteArray());
            }
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Accumulator fromBytes(List<MeasureDef> measures, byte[] data) {
        try {
            DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(data));
            int format = in.readByte();
            if (format != FORMAT) {
                throw new IllegalArgumentException("unknown accumulator format " + format);
            }
            Accumulator a = new Accumulator(measures);
            a.events = in.readLong();
            int n = in.readShort();
            if (n != measures.size()) {
                throw new IllegalArgumentException(
                        "stored state has " + n + " measures, the view has " + measures.size());
            }
            for (int i = 0; i < n; i++) {
                a.counts[i] = in.readLong();
                int scale = in.readInt();
                byte[] unscaled = new byte[in.readShort()];
                in.readFully(unscaled);
                a.sums[i] = new BigDecimal(new BigInteger(unscaled), scale);
                a.mins[i] = in.readDouble();
                a.maxs[i] = in.readDouble();
                byte[] hll = readBlob(in);
                a.hlls[i] = hll == null ? null : HllSketch.heapify(hll);
                byte[] kll = readBlob(in);
                a.klls[i] = kll == null ? null : KllDoublesSketch.heapify(Memory.wrap(kll));
            }
            return a;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void writeBlob(DataOutputStream out, byte[] b) throws IOException {
        if (b == null) {
            out.writeInt(-1);
        } else {
            out.writeInt(b.length);
            out.write(b);
        }
    }

    private static byte[] readBlob(DataInputStream in) throws IOException {
        int len = in.readInt();
        if (len < 0) {
            return null;
        }
        byte[] b = new byte[len];
        in.readFully(b);
        return b;
    }
}
