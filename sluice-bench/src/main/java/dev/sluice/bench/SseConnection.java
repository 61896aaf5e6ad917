package dev.sluice.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;

/**
 * One Server-Sent Events connection over a plain socket, read by its own virtual thread.
 *
 * <p>No HTTP client library in the way: the request is written by hand, the response headers are read, and the
 * body (plain, or chunked) is cut into SSE lines without allocating per message. For every {@code update} event
 * received while the {@link Tally} is measuring, the delay {@code receipt − emitted} goes into the tally's
 * histogram (microseconds): receipt is the wall clock when {@code read} returned the bytes, emitted is the
 * message's {@code emitted_us} when present (the loopback baseline), else its {@code emitted_ms} (Sluice: the
 * processor's emit time, so Sluice's delays carry up to +1 ms from that millisecond truncation).
 */
final class SseConnection {
    private static final byte[] EMITTED_US = "\"emitted_us\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EMITTED_MS = "\"emitted_ms\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EVENT_UPDATE = "event: update".getBytes(StandardCharsets.US_ASCII);
    private static final int MAX_ATTEMPTS = 8;

    private final String host;
    private final int port;
    private final String path;
    private final Tally tally;
    private volatile Socket socket;

    /** Updates received while measuring. Written only by this connection's thread. */
    volatile long received;
    /** Lowest and highest update id seen while measuring (coalescing can deliver ids out of order). */
    volatile long minId = Long.MAX_VALUE;

    volatile long maxId = Long.MIN_VALUE;
    /** Connection attempts that failed before one succeeded (or all failed). */
    volatile int failedAttempts;

    volatile boolean connected;
    /** The server ended the stream, or it broke, before the bench closed it. */
    volatile boolean disconnected;

    volatile String error;
    /** The first failed connection attempt's error, if any. */
    volatile String firstAttemptError;

    // parser state (connection thread only)
    private byte[] line = new byte[1024];
    private int lineLen;
    private boolean isUpdate;
    private long id = -1;
    private boolean chunked;
    private int chunkState; // 0: size, 1: size line rest, 2: data, 3: CRLF after data
    private long chunkLeft;

    SseConnection(String host, int port, String path, Tally tally) {
        this.host = host;
        this.port = port;
        this.path = path;
        this.tally = tally;
    }

    /** Starts the connection's virtual thread; {@code opened} counts down once it is streaming or gave up. */
    Thread start(Semaphore handshakes, CountDownLatch opened) {
        return Thread.ofVirtual().name("sse-client").start(() -> run(handshakes, opened));
    }

    private void run(Semaphore handshakes, CountDownLatch opened) {
        InputStream in;
        try {
            handshakes.acquire();
        } catch (InterruptedException e) {
            opened.countDown();
            return;
        }
        try {
            in = open();
        } catch (Exception e) {
            error = e.toString();
            return;
        } finally {
            handshakes.release();
            opened.countDown();
        }
        byte[] buf = new byte[16 * 1024];
        try {
            while (true) {
                int n = in.read(buf);
                if (n < 0) {
                    break;
                }
                Instant now = Instant.now();
                long receiptUs = now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
                body(buf, 0, n, receiptUs);
            }
            if (!tally.closing) {
                disconnected = true;
                error = "end of stream";
            }
        } catch (IOException e) {
            if (!tally.closing) {
                disconnected = true;
                error = e.toString();
            }
        } finally {
            close();
        }
    }

    /** Connects (retrying refused or reset connections), sends the request, reads the headers. */
    private InputStream open() throws Exception {
        Exception last = null;
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            if (tally.closing) {
                throw new IOException("closing");
            }
            Socket s = new Socket();
            try {
                s.setTcpNoDelay(true);
                s.connect(new InetSocketAddress(host, port), 10_000);
                socket = s;
                OutputStream out = s.getOutputStream();
                out.write(("GET " + path + " HTTP/1.1\r\nHost: " + host + ":" + port
                                + "\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
                InputStream in = s.getInputStream();
                headers(in);
                connected = true;
                return in;
            } catch (IOException e) {
                last = e;
                if (failedAttempts++ == 0) {
                    firstAttemptError = e.toString();
                }
                s.close();
                socket = null;
                Thread.sleep(100L * attempt);
            }
        }
        throw last;
    }

    /** Reads the status line and headers byte by byte (they are short); the body follows. */
    private void headers(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int state = 0;
        while (state < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed before the response headers");
            }
            sb.append((char) b);
            state = switch (state) {
                case 0, 2 -> b == '\r' ? state + 1 : 0;
                case 1, 3 -> b == '\n' ? state + 1 : (b == '\r' ? 1 : 0);
                default -> state;
            };
            if (sb.length() > 16 * 1024) {
                throw new IOException("response headers too long");
            }
        }
        String h = sb.toString();
        String status = h.substring(0, h.indexOf('\r'));
        if (!status.matches("HTTP/1\\.[01] 200.*")) {
            throw new IllegalStateException("not 200: " + status);
        }
        for (String header : h.split("\r\n")) {
            int colon = header.indexOf(':');
            if (colon > 0
                    && header.substring(0, colon).trim().equalsIgnoreCase("transfer-encoding")
                    && header.substring(colon + 1)
                            .toLowerCase(java.util.Locale.ROOT)
                            .contains("chunked")) {
                chunked = true;
            }
        }
    }

    /** Body bytes: de-chunked when the response is chunked, then cut into lines. */
    private void body(byte[] b, int off, int len, long receiptUs) {
        if (!chunked) {
            lines(b, off, len, receiptUs);
            return;
        }
        int i = off;
        int end = off + len;
        while (i < end) {
            switch (chunkState) {
                case 0 -> { // hex size
                    byte c = b[i++];
                    int d = Character.digit(c, 16);
                    if (d >= 0) {
                        chunkLeft = chunkLeft * 16 + d;
                    } else {
                        chunkState = c == '\n' ? (chunkLeft == 0 ? 4 : 2) : 1;
                    }
                }
                case 1 -> { // extensions, CR: skip to LF
                    if (b[i++] == '\n') {
                        chunkState = chunkLeft == 0 ? 4 : 2;
                    }
                }
                case 2 -> {
                    int n = (int) Math.min(chunkLeft, end - i);
                    lines(b, i, n, receiptUs);
                    i += n;
                    chunkLeft -= n;
                    if (chunkLeft == 0) {
                        chunkState = 3;
                    }
                }
                case 3 -> { // CRLF after the data
                    if (b[i++] == '\n') {
                        chunkState = 0;
                    }
                }
                default -> i = end; // last chunk: nothing more
            }
        }
    }

    private void lines(byte[] b, int off, int len, long receiptUs) {
        int start = off;
        int end = off + len;
        for (int i = off; i < end; i++) {
            if (b[i] == '\n') {
                append(b, start, i - start);
                int n = lineLen;
                if (n > 0 && line[n - 1] == '\r') {
                    n--;
                }
                line(n, receiptUs);
                lineLen = 0;
                start = i + 1;
            }
        }
        append(b, start, end - start);
    }

    private void append(byte[] b, int off, int len) {
        if (len == 0) {
            return;
        }
        if (lineLen + len > line.length) {
            line = java.util.Arrays.copyOf(line, Math.max(line.length * 2, lineLen + len));
        }
        System.arraycopy(b, off, line, lineLen, len);
        lineLen += len;
    }

    /** One SSE line of {@code n} bytes in {@link #line}. */
    private void line(int n, long receiptUs) {
        if (n == 0) { // end of an event
            isUpdate = false;
            id = -1;
            return;
        }
        byte first = line[0];
        if (first == 'e' && startsWith(n, "event:")) {
            isUpdate = equalsAt(n, EVENT_UPDATE);
        } else if (first == 'i' && startsWith(n, "id:")) {
            id = number(3, n);
        } else if (first == 'd' && isUpdate && startsWith(n, "data:")) {
            update(n, receiptUs);
        }
    }

    private void update(int n, long receiptUs) {
        if (!tally.measuring) {
            return;
        }
        long emittedUs;
        int at = indexOf(n, EMITTED_US);
        if (at >= 0) {
            emittedUs = number(at + EMITTED_US.length, n);
        } else {
            at = indexOf(n, EMITTED_MS);
            if (at < 0) {
                tally.unparsed.increment();
                return;
            }
            emittedUs = number(at + EMITTED_MS.length, n) * 1_000L;
        }
        if (emittedUs <= 0) {
            tally.unparsed.increment();
            return;
        }
        long delay = receiptUs - emittedUs;
        if (delay < 0) {
            tally.negative.increment();
            delay = 0;
        }
        tally.delays.recordValue(delay);
        received++;
        if (id >= 0) {
            if (id < minId) {
                minId = id;
            }
            if (id > maxId) {
                maxId = id;
            }
        }
    }

    private boolean startsWith(int n, String prefix) {
        if (n < prefix.length()) {
            return false;
        }
        for (int i = 0; i < prefix.length(); i++) {
            if (line[i] != prefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private boolean equalsAt(int n, byte[] s) {
        return n == s.length && java.util.Arrays.equals(line, 0, n, s, 0, n);
    }

    private int indexOf(int n, byte[] s) {
        outer:
        for (int i = n - s.length; i >= 0; i--) { // the emit time is near the end of the message
            for (int j = 0; j < s.length; j++) {
                if (line[i + j] != s[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** The decimal number at {@code from} (leading spaces and quotes skipped); -1 when there is none. */
    private long number(int from, int n) {
        int i = from;
        while (i < n && (line[i] == ' ' || line[i] == '"')) {
            i++;
        }
        long v = 0;
        int digits = 0;
        while (i < n && line[i] >= '0' && line[i] <= '9') {
            v = v * 10 + (line[i] - '0');
            i++;
            digits++;
        }
        return digits == 0 ? -1 : v;
    }

    void close() {
        Socket s = socket;
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }
}
