package dev.sluice.processor.window;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.pipeline.MeasureDef;
import dev.sluice.wire.Accumulator;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.junit.jupiter.api.Test;

/**
 * The partial's binary layout (what one stream partition's pre-aggregation sends the task owning a group): every
 * field survives the trip, a bundle carries its partials unchanged, the event of a one-event partial is found
 * without decoding the rest, and a group lands on the partition Kafka's own partitioner gives its key.
 */
class PartialTest {
    static final List<MeasureDef> MEASURES = List.of(
            new MeasureDef("n", MeasureDef.Kind.COUNT, null), new MeasureDef("total", MeasureDef.Kind.SUM, "amount"));

    static Accumulator acc(double... amounts) {
        Accumulator a = new Accumulator(MEASURES);
        for (double x : amounts) {
            a.add(Map.of("amount", x));
        }
        return a;
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static final byte[] RAW = bytes("{\"id\":\"e9\",\"amount\":2.5}");

    static Partial twoEntries(byte[] raw) {
        return new Partial(
                "[\"DE\",\"EUR\"]",
                1_800_000_123_456L,
                "shop.sales/3@17-42",
                4,
                List.of(
                        new Partial.Entry(
                                false, 1_800_000_000_000L, 1_800_000_060_000L, 1_799_999_999_000L, null, acc(1, 2, 3)),
                        new Partial.Entry(true, -120_000L, -60_000L, -119_000L, "late-1", acc(2.5))),
                raw);
    }

    @Test
    void everyFieldSurvivesEncodeAndDecode() {
        Partial back = Partial.decode(MEASURES, twoEntries(RAW).encode());
        assertThat(back.groupKey()).isEqualTo("[\"DE\",\"EUR\"]");
        assertThat(back.senderWatermark()).isEqualTo(1_800_000_123_456L);
        assertThat(back.origin()).isEqualTo("shop.sales/3@17-42");
        assertThat(back.events()).isEqualTo(4);
        assertThat(back.raw()).isEqualTo(RAW);
        assertThat(back.entries()).hasSize(2);
        Partial.Entry onTime = back.entries().get(0);
        assertThat(onTime.late()).isFalse();
        assertThat(onTime.start()).isEqualTo(1_800_000_000_000L);
        assertThat(onTime.end()).isEqualTo(1_800_000_060_000L);
        assertThat(onTime.minSourceMs()).isEqualTo(1_799_999_999_000L);
        assertThat(onTime.eventId()).isNull();
        assertThat(onTime.acc().version()).isEqualTo(3);
        assertThat(onTime.acc().results()).containsEntry("n", 3L).containsEntry("total", 6.0);
        Partial.Entry late = back.entries().get(1);
        assertThat(late.late()).isTrue();
        assertThat(late.start()).isEqualTo(-120_000L);
        assertThat(late.end()).isEqualTo(-60_000L);
        assertThat(late.minSourceMs()).isEqualTo(-119_000L);
        assertThat(late.eventId()).isEqualTo("late-1");
        assertThat(late.acc().version()).isEqualTo(1);
        assertThat(late.acc().results()).containsEntry("n", 1L).containsEntry("total", 2.5);
    }

    @Test
    void aPartialWithoutOriginOrEventDecodesThemAsAbsent() {
        Partial p = new Partial("[null]", Long.MIN_VALUE, null, 0, List.of(), null);
        Partial back = Partial.decode(MEASURES, p.encode());
        assertThat(back.groupKey()).isEqualTo("[null]");
        assertThat(back.senderWatermark()).isEqualTo(Long.MIN_VALUE);
        assertThat(back.origin()).isNull();
        assertThat(back.events()).isZero();
        assertThat(back.entries()).isEmpty();
        assertThat(back.raw()).isNull();
        assertThat(Partial.eventOf(p.encode())).isNull();
    }

    @Test
    void theLayoutIsTheDeclaredOne() {
        byte[] b = new Partial("[\"ü\"]", 7L, "t/0@5", 1, List.of(), new byte[] {9, 8}).encode();
        ByteBuffer in = ByteBuffer.wrap(b);
        assertThat(in.get()).as("format").isEqualTo((byte) 1);
        assertThat(in.getInt()).as("group key bytes, UTF-8").isEqualTo(6);
        byte[] g = new byte[6];
        in.get(g);
        assertThat(new String(g, StandardCharsets.UTF_8)).isEqualTo("[\"ü\"]");
        assertThat(in.getLong()).as("watermark").isEqualTo(7L);
        assertThat(in.getShort()).as("origin length").isEqualTo((short) 5);
        in.position(in.position() + 5);
        assertThat(in.getInt()).as("events").isEqualTo(1);
        assertThat(in.getShort()).as("entries").isZero();
        assertThat(in.getInt()).as("raw length").isEqualTo(2);
        assertThat(in.get()).isEqualTo((byte) 9);
        assertThat(in.get()).isEqualTo((byte) 8);
        assertThat(in.hasRemaining()).isFalse();
    }

    @Test
    void theEventOfAOneEventPartialIsReadWithoutTheMeasures() {
        byte[] one = twoEntries(RAW).encode();
        assertThat(Partial.eventOf(one)).isEqualTo(RAW);
        assertThat(Partial.eventOf(Partial.bundle(List.of(one))))
                .as("alone in its bundle")
                .isEqualTo(RAW);
        assertThat(Partial.eventOf(Partial.bundle(List.of(one, one))))
                .as("a bundle of two partials is not one event")
                .isNull();
        assertThat(Partial.eventOf(twoEntries(null).encode())).isNull();
        assertThat(Partial.eventOf(twoEntries(new byte[0]).encode())).isEmpty();
    }

    @Test
    void whatIsNotAPartialHasNoEvent() {
        assertThat(Partial.eventOf(bytes("{\"id\":\"a\"}")))
                .as("another format")
                .isNull();
        assertThat(Partial.eventOf(new byte[0])).isNull();
        byte[] cut = twoEntries(RAW).encode();
        assertThat(Partial.eventOf(java.util.Arrays.copyOf(cut, 60)))
                .as("cut inside its first entry")
                .isNull();
    }

    @Test
    void decodingWhatIsNotAPartialFailsSayingSo() {
        assertThatThrownBy(() -> Partial.decode(MEASURES, bytes("{\"id\":\"a\"}")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("not a partial aggregate: java.lang.IllegalArgumentException: not a partial aggregate"
                        + " (format 123)");
        byte[] full = twoEntries(RAW).encode();
        assertThatThrownBy(() -> Partial.decode(MEASURES, java.util.Arrays.copyOf(full, full.length - 1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("not a partial aggregate: java.io.EOFException");
    }

    @Test
    void aBundleCarriesItsPartialsUnchangedAndInOrder() {
        List<byte[]> parts =
                List.of(bytes("first"), new byte[0], twoEntries(RAW).encode());
        byte[] bundle = Partial.bundle(parts);
        assertThat(bundle).hasSize(5 + 4 + 5 + 4 + 4 + parts.get(2).length);
        assertThat(bundle[0]).isEqualTo((byte) 2);
        assertThat(ByteBuffer.wrap(bundle, 1, 4).getInt()).isEqualTo(3);
        List<byte[]> back = Partial.unbundle(bundle);
        assertThat(back).hasSize(3);
        assertThat(back.get(0)).isEqualTo(bytes("first"));
        assertThat(back.get(1)).isEmpty();
        assertThat(back.get(2)).isEqualTo(parts.get(2));
        assertThat(Partial.unbundle(Partial.bundle(List.of()))).isEmpty();
        assertThat(Partial.bundle(List.of())).containsExactly(2, 0, 0, 0, 0);
    }

    @Test
    void aRecordThatIsNotABundleIsOnePartial() {
        byte[] one = twoEntries(RAW).encode();
        assertThat(Partial.unbundle(one)).containsExactly(one);
        byte[] empty = new byte[0];
        assertThat(Partial.unbundle(empty)).containsExactly(empty);
    }

    @Test
    void aBundleWithAnImpossibleCountIsRefused() {
        byte[] negative = ByteBuffer.allocate(5).put((byte) 2).putInt(-1).array();
        assertThatThrownBy(() -> Partial.unbundle(negative))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("not a bundle of partials (-1 partials)");
        byte[] tooMany =
                ByteBuffer.allocate(9).put((byte) 2).putInt(10).putInt(0).array();
        assertThatThrownBy(() -> Partial.unbundle(tooMany))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("not a bundle of partials (10 partials)");
    }

    @Test
    void aGroupIsOwnedByThePartitionKafkasPartitionerGivesItsKey() {
        List<Integer> seen = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            String key = "[\"country-" + i + "\"]";
            int p = Partial.partitionOf(key, 6);
            assertThat(p)
                    .as(key)
                    .isEqualTo(BuiltInPartitioner.partitionForKey(key.getBytes(StandardCharsets.UTF_8), 6));
            seen.add(p);
        }
        assertThat(seen).as("every partition owns some groups").containsAll(List.of(0, 1, 2, 3, 4, 5));
        assertThat(Partial.partitionOf("[\"DE\"]", 1)).isZero();
    }
}
