package dev.sluice.sinks.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** ClickHouse's RowBinary as the sink writes offsets and rows: byte for byte, from ClickHouse's format docs. */
class RowBinaryTest {

    static String hex(RowBinary b) {
        return HexFormat.of().formatHex(b.bytes());
    }

    @Test
    void integersAreLittleEndian() {
        RowBinary b = new RowBinary();
        b.int64(0x0102030405060708L);
        b.int64(-2);
        b.int32(0x01020304);
        b.int32(-1);
        b.uint8(255);
        assertThat(hex(b)).isEqualTo("0807060504030201" + "feffffffffffffff" + "04030201" + "ffffffff" + "ff");
    }

    @Test
    void doublesAreTheirIeeeBitsLittleEndian() {
        RowBinary b = new RowBinary();
        b.float64(1.5); // 0x3FF8000000000000
        b.float64(-0.0);
        assertThat(hex(b)).isEqualTo("000000000000f83f" + "0000000000000080");
    }

    @Test
    void dateTimesAreSecondsAsUInt32ClampedTo1970Through2106() {
        RowBinary b = new RowBinary();
        b.dateTime(1_999); // 1 s: milliseconds are cut
        b.dateTime(-1); // before 1970: the first second
        b.dateTime(4_294_967_295_999L); // 2106-02-07T06:28:15.999Z, the last second
        b.dateTime(4_294_967_296_000L); // one second later: clamped
        b.dateTime(253402300799999L); // a windowless view's end, 9999-12-31
        b.dateTime(1795514400000L); // 2026-11-24T10:00:00Z = 1795514400 s = 0x6B05_6020
        assertThat(hex(b)).isEqualTo("01000000" + "00000000" + "ffffffff" + "ffffffff" + "ffffffff" + "2060056b");
    }

    @Test
    void stringsAreUtf8WithAVarintLength() {
        RowBinary b = new RowBinary();
        b.string("é");
        b.string("");
        assertThat(hex(b)).isEqualTo("02c3a9" + "00");

        RowBinary lengths = new RowBinary();
        lengths.bytes(new byte[127]);
        lengths.bytes(new byte[128]);
        lengths.bytes(new byte[300]);
        byte[] out = lengths.bytes();
        assertThat(out).hasSize(1 + 127 + 2 + 128 + 2 + 300);
        assertThat(out[0]).isEqualTo((byte) 0x7f);
        assertThat(out[128]).isEqualTo((byte) 0x80);
        assertThat(out[129]).isEqualTo((byte) 0x01);
        assertThat(out[258]).isEqualTo((byte) 0xac);
        assertThat(out[259]).isEqualTo((byte) 0x02);
    }

    @Test
    void aNullableValueIsMarkedOneWhenNull() {
        RowBinary b = new RowBinary();
        assertThat(b.present(null)).isFalse();
        assertThat(b.present("x")).isTrue();
        assertThat(hex(b)).isEqualTo("0100");
    }

    @Test
    void rowsAreCounted() {
        RowBinary b = new RowBinary();
        assertThat(b.rows()).isZero();
        b.endRow();
        b.endRow();
        assertThat(b.rows()).isEqualTo(2);
    }
}
