package dev.sluice.cli.loadgen;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.LongNode;
import org.junit.jupiter.api.Test;

/** The bound {@code sluice verify} checks a view's distinct count (an HLL estimate) against. */
class VerifyCommandTest {
    @Test
    void aDistinctCountMayBeOffByThreeHllStandardErrorsAndNoMore() {
        // lgK 12: 1.04 / 64 = 1.625 % per standard error; 3 of them of 200 is 9.75, rounded up
        assertThat(VerifyCommand.hllBound(200)).isEqualTo(10);
        assertThat(VerifyCommand.hllBound(10)).isEqualTo(1);
        assertThat(VerifyCommand.hllBound(0)).isZero();
        assertThat(VerifyCommand.withinHllBound(LongNode.valueOf(210), LongNode.valueOf(200)))
                .isTrue();
        assertThat(VerifyCommand.withinHllBound(LongNode.valueOf(190), LongNode.valueOf(200)))
                .isTrue();
        assertThat(VerifyCommand.withinHllBound(LongNode.valueOf(211), LongNode.valueOf(200)))
                .isFalse();
        assertThat(VerifyCommand.withinHllBound(LongNode.valueOf(189), LongNode.valueOf(200)))
                .isFalse();
        assertThat(VerifyCommand.withinHllBound(LongNode.valueOf(1), LongNode.valueOf(0)))
                .isFalse();
    }
}
