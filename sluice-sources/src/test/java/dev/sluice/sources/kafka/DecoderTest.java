package dev.sluice.sources.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** What a Kafka source cannot read is refused with rule {@code json} (and so dead-lettered). */
class DecoderTest {
    final Decoder json = new Decoder("json", null);

    @Test
    void invalidUtf8NonFiniteLiteralsTruncationAndDeepNestingAreNotJson() {
        for (byte[] bad : new byte[][] {
            {'{', '"', 'a', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'},
            {'{', '"', 'a', '"', ':', '"', (byte) 0xC0, (byte) 0xAF, '"', '}'}, // overlong '/'
            "{\"a\":1}{\"a\":2}".getBytes(),
            "{\"amount\":NaN}".getBytes(),
            "{\"amount\":Infinity}".getBytes(),
            "{\"amount\":1".getBytes(),
            ("{\"a\":" + "[".repeat(5000) + "]".repeat(5000) + "}").getBytes(),
        }) {
            assertThatThrownBy(() -> json.decode(bad))
                    .isInstanceOfSatisfying(
                            Decoder.Undecodable.class, u -> assertThat(u.rule()).isEqualTo("json"))
                    .hasMessageStartingWith("not JSON: ");
        }
        assertThatThrownBy(() -> json.decode(new byte[0])).hasMessageContaining("empty message");
    }

    @Test
    void aHugeExponentIsJsonAndLeftToAdmission() throws Exception {
        assertThat(json.decode("{\"amount\":1e400}".getBytes()).get("amount").doubleValue())
                .isInfinite();
    }
}
