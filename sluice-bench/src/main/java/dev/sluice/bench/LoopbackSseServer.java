package dev.sluice.bench;

import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The baseline: this machine's own loopback SSE delivery of the same messages, with nothing of Sluice in the way
 * (no Kafka, no processor, no Jetty, no JSON building) and as little work per message as a server can do. Run as
 * its own process, like the Sluice server.
 *
 * <p>One emitter thread makes {@code --rate} update messages a second, in bursts every 50 ms (as the bench posts
 * its orders), each of the size and shape of a Sluice update over {@code --groups} rows and carrying its emit time
 * ({@code emitted_us}, taken when it is made); a status message goes out every second, as Sluice's does. Messages
 * are appended to one shared log (a ring of the last 16,384); after each burst the emitter wakes the clients'
 * writers that wait. Each client has its own virtual thread that writes everything new in the log since its last
 * write in one buffered write (so one wake-up and about one socket write per client per burst, however many
 * messages the burst holds). A writer that falls more than the ring behind skips to the oldest message still in it
 * (the client sees the gap in the ids).
 *
 * <p>Arguments: {@code --port P} (0: any; the port is printed as {@code listening P}), {@code --rate R},
 * {@code --groups G}. Standard input takes {@code pause} and {@code resume} (the bench pauses the stream while
 * clients connect); the server stops when it closes.
 */
public final class LoopbackSseServer {
    private static final int RING = 16_384;
    private static final String[] COUNTRIES = {
        "US", "GB", "DE", "FR", "ES", "IT", "NL", "SE", "PL", "BR", "MX", "JP", "IN", "AU", "CA"
    };

    private final byte[][] ring = new byte[RING][];
    /** Messages [head - RING, head) are in the ring; written by the emitter only. */
    private volatile long head;

    private final Set<Writer> writers = ConcurrentHashMap.newKeySet();
    private volatile boolean paused;

    private LoopbackSseServer() {}

    public static void main(String[] args) throws Exception {
        int port = 0;
        double rate = 200;
        int groups = 100;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--port" -> port = Integer.parseInt(args[i + 1]);
                case "--rate" -> rate = Double.parseDouble(args[i + 1]);
                case "--groups" -> groups = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        LoopbackSseServer server = new LoopbackSseServer();
        ServerSocket ss = new ServerSocket();
        ss.bind(new InetSocketAddress("127.0.0.1", port), 4096);
        Thread acceptor = new Thread(() -> server.accept(ss), "accept");
        acceptor.setDaemon(true);
        acceptor.start();
        double r = rate;
        int g = groups;
        Thread emitter = new Thread(() -> server.emit(r, g), "emitter");
        emitter.setDaemon(true);
        emitter.start();
        System.out.println("listening " + ss.getLocalPort());
        System.out.flush();
        BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = commands.readLine()) != null; ) {
            switch (line.trim()) {
                case "pause" -> server.paused = true;
                case "resume" -> server.paused = false;
                default -> {
                    // ignore
                }
            }
        }
        ss.close();
        System.exit(0);
    }

    private void accept(ServerSocket ss) {
        while (!ss.isClosed()) {
            try {
                Socket s = ss.accept();
                Thread.ofVirtual().name("client").start(() -> serve(s));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        Writer w = null;
        try (s) {
            s.setTcpNoDelay(true);
            InputStream in = s.getInputStream();
            int state = 0;
            while (state < 4) { // the request headers, up to the blank line
                int b = in.read();
                if (b < 0) {
                    return;
                }
                state = switch (state) {
                    case 0, 2 -> b == '\r' ? state + 1 : 0;
                    case 1, 3 -> b == '\n' ? state + 1 : (b == '\r' ? 1 : 0);
                    default -> state;
                };
            }
            OutputStream out = new BufferedOutputStream(s.getOutputStream(), 8_192);
            out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream;charset=utf-8\r\nConnection: close\r\n"
                            + "Cache-Control: no-cache\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            w = new Writer(Thread.currentThread(), head);
            writers.add(w);
            w.run(out);
        } catch (IOException e) {
            // client gone
        } finally {
            if (w != null) {
                writers.remove(w);
            }
        }
    }

    /** Makes {@code rate} messages a second in bursts every 50 ms, then wakes the writers that wait. */
    private void emit(double rate, int groups) {
        long start = System.nanoTime();
        long made = 0;
        long seq = 0;
        long[] versions = new long[groups];
        long nextStatus = start;
        while (true) {
            long now = System.nanoTime();
            if (paused) { // nothing is made up for after a pause
                start = now;
                made = 0;
                sleep(20);
                continue;
            }
            long due = (long) (rate * (now - start) / 1e9);
            long h = head;
            for (; made < due; made++) {
                seq++;
                int group = (int) (seq % groups);
                ring[(int) (h % RING)] = update(seq, group, ++versions[group]);
                head = ++h;
            }
            if (now >= nextStatus) {
                ring[(int) (h % RING)] = status();
                head = ++h;
                nextStatus += 1_000_000_000L;
            }
            for (Writer w : writers) {
                if (w.waiting) {
                    LockSupport.unpark(w.thread);
                }
            }
            sleep(50);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** An update of the size and shape of a Sluice update, with the emit time in microseconds. */
    private static byte[] update(long seq, int group, long version) {
        Instant now = Instant.now();
        long us = now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
        long minute = now.getEpochSecond() / 60 * 60;
        String json = "{\"type\":\"update\",\"view\":\"gmv_by_country\",\"id\":\"" + seq
                + "\",\"row\":{\"window_start\":\"" + Instant.ofEpochSecond(minute)
                + "\",\"window_end\":\"" + Instant.ofEpochSecond(minute + 60)
                + "\",\"country\":\"" + COUNTRIES[group % COUNTRIES.length] + "\",\"currency\":\"EUR\",\"orders\":"
                + version + ",\"gmv\":" + (version * 10.0) + ",\"buyers\":" + version + ",\"version\":" + version
                + "},\"watermark\":\"" + Instant.ofEpochSecond(now.getEpochSecond())
                + "\",\"lag\":{\"seconds\":0.0,\"events\":0},\"stale\":false,\"latency_ms\":0,\"emitted_us\":" + us
                + "}";
        return ("id: " + seq + "\nevent: update\ndata: " + json + "\n\n").getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] status() {
        String json = "{\"type\":\"status\",\"view\":\"gmv_by_country\",\"watermark\":\""
                + Instant.ofEpochSecond(Instant.now().getEpochSecond())
                + "\",\"lag\":{\"seconds\":0.0,\"events\":0},\"stale\":false,\"sla_ms\":5000}";
        return ("event: status\ndata: " + json + "\n\n").getBytes(StandardCharsets.UTF_8);
    }

    /** A client's writer: its position in the log. */
    private final class Writer {
        final Thread thread;
        volatile boolean waiting;
        private long next;

        Writer(Thread thread, long from) {
            this.thread = thread;
            this.next = from;
        }

        void run(OutputStream out) throws IOException {
            long lastWrite = System.nanoTime();
            while (true) {
                long h = head;
                if (next < h) {
                    if (h - next > RING - 64) { // fell behind the ring: skip to what it still holds
                        next = h - (RING - 64);
                    }
                    for (; next < h; next++) {
                        out.write(ring[(int) (next % RING)]);
                    }
                    out.flush();
                    lastWrite = System.nanoTime();
                    continue;
                }
                waiting = true;
                if (head == h) { // nothing new since we looked: wait for the emitter (or heartbeat after 10 s)
                    LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(1));
                }
                waiting = false;
                if (head == h && System.nanoTime() - lastWrite > TimeUnit.SECONDS.toNanos(10)) {
                    out.write(": heartbeat\n\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    lastWrite = System.nanoTime();
                }
            }
        }
    }
}
