package dev.sluice.sources;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Strict UTF-8, as JSON requires (RFC 8259 §8.1). Jackson's byte parser reads some malformed input as text
 * (an overlong {@code C0 AF} becomes {@code /}), so sources check the bytes first: an event is never stored
 * as something other than what its producer sent.
 */
public final class Utf8 {
    private Utf8() {}

    /** The offset of the first byte that is not well-formed UTF-8 in {@code b[off, off+len)}, or -1. */
    public static int firstMalformed(byte[] b, int off, int len) {
        CharsetDecoder d = StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(b, off, len);
        CharBuffer out = CharBuffer.allocate(Math.min(Math.max(len, 16), 8192));
        while (true) {
            CoderResult r = d.decode(in, out, true);
            if (r.isError()) {
                return in.position();
            }
            if (r.isUnderflow()) {
                r = d.flush(out);
                return r.isError() ? in.position() : -1;
            }
            out.clear(); // overflow: only validity matters, not the text
        }
    }
}
