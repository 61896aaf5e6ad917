package dev.sluice.cli;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A live client on a bare socket with a tiny receive window, so a test controls exactly how fast (or whether)
 * it reads: SSE ({@link #sse}) or WebSocket ({@link #ws}, frames per RFC 6455, text only).
 */
final class RawClient implements AutoCloseable {
    final Socket socket;
    final DataInputStream in;
    final OutputStream out;

    private RawClient(int port) throws IOException {
        socket = new Socket();
        socket.setReceiveBufferSize(1024);
        socket.setSoTimeout(60_000); // a test that waits for more than a minute fails instead of hanging
        socket.connect(new InetSocketAddress("127.0.0.1", port));
        in = new DataInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    /** Requests an SSE stream; the response is left unread. */
    static RawClient sse(int port, String pathAndQuery) throws IOException {
        RawClient c = new RawClient(port);
        c.out.write(("GET " + pathAndQuery + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        c.out.flush();
        return c;
    }

    /** Opens a WebSocket on {@code /v1/ws} (reads the 101 response) and sends {@code firstMessage}. */
    static RawClient ws(int port, String firstMessage) throws IOException {
        RawClient c = new RawClient(port);
        byte[] nonce = new byte[16];
        ThreadLocalRandom.current().nextBytes(nonce);
        c.out.write(("GET /v1/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(nonce) + "\r\n"
                        + "Sec-WebSocket-Version: 13\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        c.out.flush();
        String status = c.headerBlock();
        if (!status.startsWith("HTTP/1.1 101")) {
            throw new IOException("no WebSocket upgrade: " + status);
        }
        c.sendText(firstMessage);
        return c;
    }

    private String headerBlock() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        while (!b.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            int x = in.read();
            if (x < 0) {
                throw new IOException("connection closed in the response headers");
            }
            b.write(x);
        }
        return b.toString(StandardCharsets.US_ASCII);
    }

    /** One masked text frame, as a client must send it. */
    void sendText(String text) throws IOException {
        byte[] p = text.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream f = new ByteArrayOutputStream();
        f.write(0x81);
        if (p.length < 126) {
            f.write(0x80 | p.length);
        } else {
            f.write(0x80 | 126);
            f.write(p.length >>> 8);
            f.write(p.length & 0xff);
        }
        byte[] mask = new byte[4];
        ThreadLocalRandom.current().nextBytes(mask);
        f.write(mask);
        for (int i = 0; i < p.length; i++) {
            f.write(p[i] ^ mask[i % 4]);
        }
        out.write(f.toByteArray());
        out.flush();
    }

    /** The next text message (pings and other control frames skipped); null when the server closed. */
    String readText() throws IOException {
        ByteArrayOutputStream message = new ByteArrayOutputStream();
        while (true) {
            int b0 = in.read();
            if (b0 < 0) {
                return null;
            }
            int b1 = in.readUnsignedByte();
            long len = b1 & 0x7f;
            if (len == 126) {
                len = in.readUnsignedShort();
            } else if (len == 127) {
                len = in.readLong();
            }
            byte[] mask = (b1 & 0x80) != 0 ? in.readNBytes(4) : null;
            byte[] payload = in.readNBytes((int) len);
            if (mask != null) {
                for (int i = 0; i < payload.length; i++) {
                    payload[i] ^= mask[i % 4];
                }
            }
            int opcode = b0 & 0x0f;
            if (opcode == 0x8) {
                return null;
            }
            if (opcode == 0x1 || opcode == 0x0) {
                message.write(payload);
                if ((b0 & 0x80) != 0) {
                    return message.toString(StandardCharsets.UTF_8);
                }
            }
        }
    }

    /** The next SSE {@code data:} line's JSON text; null when the stream ended. */
    String readSseData() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            int x = in.read();
            if (x < 0) {
                return null;
            }
            if (x != '\n') {
                line.write(x);
                continue;
            }
            String l = line.toString(StandardCharsets.UTF_8).strip();
            line.reset();
            if (l.startsWith("data:")) {
                return l.substring(5).trim();
            }
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
