package dev.sluice.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

/** The reason headers of a dead-lettered event (docs/semantics.md, rule 6). */
class DeadLetterTest {

    @Test
    void everyReasonHeaderIsSetAndTheEventsOwnHeadersAreKept() {
        Headers base = new RecordHeaders();
        base.add("trace", "t-1".getBytes(StandardCharsets.UTF_8));
        base.add(DeadLetter.STAGE, "old".getBytes(StandardCharsets.UTF_8));
        Headers h = DeadLetter.headers(base, "process", "orders", "amount", "expression", "bad", "orders/0@7");
        assertThat(DeadLetter.get(h, "trace")).isEqualTo("t-1");
        assertThat(DeadLetter.get(h, "sluice.error.stage")).isEqualTo("process");
        assertThat(h.headers("sluice.error.stage"))
                .as("replaced, not added twice")
                .hasSize(1);
        assertThat(DeadLetter.get(h, "sluice.stream")).isEqualTo("orders");
        assertThat(DeadLetter.get(h, "sluice.error.field")).isEqualTo("amount");
        assertThat(DeadLetter.get(h, "sluice.error.rule")).isEqualTo("expression");
        assertThat(DeadLetter.get(h, "sluice.error.reason")).isEqualTo("bad");
        assertThat(DeadLetter.get(h, "sluice.origin")).isEqualTo("orders/0@7");
        assertThat(DeadLetter.get(base, DeadLetter.STAGE))
                .as("the record's headers are not changed")
                .isEqualTo("old");
    }

    @Test
    void unknownValuesAreLeftOut() {
        Headers h = DeadLetter.headers(null, "validate", "orders", null, "json", "not JSON", null);
        assertThat(h.lastHeader(DeadLetter.FIELD)).isNull();
        assertThat(h.lastHeader(DeadLetter.ORIGIN)).isNull();
        assertThat(DeadLetter.get(h, DeadLetter.FIELD)).isNull();
        assertThat(h.toArray()).hasSize(4);
    }

    @Test
    void puttingNullRemovesAHeader() {
        Headers h = new RecordHeaders();
        DeadLetter.put(h, DeadLetter.VIEW, "v1");
        DeadLetter.put(h, DeadLetter.VIEW, "v2");
        assertThat(h.headers(DeadLetter.VIEW)).hasSize(1);
        assertThat(DeadLetter.get(h, DeadLetter.VIEW)).isEqualTo("v2");
        DeadLetter.put(h, DeadLetter.VIEW, null);
        assertThat(h.lastHeader(DeadLetter.VIEW)).isNull();
    }
}
