package dev.sluice.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class AcceptedTest {
    @Test
    void theBuilderMergesAdjacentDropsIntoRangesAndRoundTrips() {
        Accepted.Builder b = new Accepted.Builder();
        assertThat(b.take()).isNull();
        b.accept(3, 100);
        b.drop(3, 101);
        b.drop(3, 102);
        b.accept(3, 103);
        b.drop(3, 105); // 104 was a transaction marker
        Accepted a = Accepted.decode(b.take().encode());
        assertThat(a.partition()).isEqualTo(3);
        assertThat(a.from()).isEqualTo(100);
        assertThat(a.to()).isEqualTo(106);
        assertThat(a.dropped()).containsExactly(101, 2, 105, 1);
        assertThat(b.isEmpty()).isTrue();
        b.accept(3, 106);
        assertThat(b.take().from()).as("the next verdict starts after the last").isEqualTo(106);
    }

    @Test
    void oneVerdictIsAboutOnePartition() {
        Accepted.Builder b = new Accepted.Builder();
        b.accept(0, 1);
        assertThatThrownBy(() -> b.accept(1, 2)).hasMessageContaining("partition 1 after 0");
    }

    @Test
    void aBrokenRecordIsRefusedByName() {
        byte[] ok = new Accepted(0, 0, 1, new long[] {0, 1}).encode();
        byte[] cut = java.util.Arrays.copyOf(ok, ok.length - 1);
        assertThatThrownBy(() -> Accepted.decode(cut)).hasMessageContaining("broken range list");
        ok[0] = 9;
        assertThatThrownBy(() -> Accepted.decode(ok)).hasMessageContaining("unknown format 9");
    }
}
