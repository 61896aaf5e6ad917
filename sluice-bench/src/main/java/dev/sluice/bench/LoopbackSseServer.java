package dev.sluice.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The baseline: this machine's own loopback SSE delivery, with nothing of Sluice in the way (no Kafka, no
 * processor, no Jetty, no JSON building). Run as its own process, like the Sluice server.
 *
 * <p>It does the fan-out the way Sluice's live hub does, reduced to the bare minimum: one emitter thread makes
 * {@code --rate} update messages a second (in bursts every 50 ms, as the bench posts its orders), each of the size
 * and shape of a Sluice update and carrying its emit time ({@code emitted_us}); it offers each to every client's
 * queue (bounded, coalescing to the latest message per row, like Sluice's); each client is written by its own
 * virtual thread, one socket write per message. A status message per second goes to every client too.
 *
 * <p>Standard input takes {@code pause} and {@code resume} (the bench pauses the stream while clients connect).
 * Arguments: {@code --port P} (0: any; the port is printed as {@code listening P}), {@code --rate R},
 * {@code --groups G}, {@code --queue Q}. The server stops when its standard input closes.
 */
public final class LoopbackSseServer {
    private final Set<Client> clients = ConcurrentHashMap.newKeySet();
    private final AtomicLong dropped = new AtomicLong();
    private final int queueCapacity;
    private volatile boolean paused;

    private LoopbackSseServer(int queueCapacity) {
        this.queueCapacity = queueCapacity;
    }

    public static void main(String[] args) throws Exception {
        int port = 0;
        double rate = 200;
        int groups = 100;
        int queue = 1_000;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--port" -> port = Integer.parseInt(args[i + 1]);
                case "--rate" -> rate = Double.parseDouble(args[i + 1]);
                case "--groups" -> groups = Integer.parseInt(args[i + 1]);
                case "--queue" -> queue = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        LoopbackSseServer server = new LoopbackSseServer(queue);
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
        // "pause" and "resume" on standard input; stop when it closes (the parent went away)
        java.io.BufferedReader commands =
                new java.io.BufferedReader(new java.io.InputStreamReader(System.in, StandardCharsets.UTF_8));
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
        Client c = null;
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
            OutputStream out = s.getOutputStream();
            out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream;charset=utf-8\r\nConnection: close\r\n"
                            + "Cache-Control: no-cache\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            c = new Client(out);
            clients.add(c);
            c.writeLoop();
        } catch (IOException | InterruptedException e) {
            // client gone
        } finally {
            if (c != null) {
                c.closed = true;
                clients.remove(c);
            }
        }
    }

    /** Makes {@code rate} messages a second in bursts every 50 ms, offering each to every client. */
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
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
                continue;
            }
            long due = (long) (rate * (now - start) / 1e9);
            for (; made < due; made++) {
                int group = (int) (seq % groups);
                versions[group]++;
                seq++;
                byte[] m = update(seq, group, versions[group]);
                for (Client c : clients) {
                    c.offer("u" + group, m);
                }
            }
            if (now >= nextStatus) {
                byte[] m = status();
                for (Client c : clients) {
                    c.offer("status", m);
                }
                nextStatus += 1_000_000_000L;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private static final String[] COUNTRIES = {
        "US", "GB", "DE", "FR", "ES", "IT", "NL", "SE", "PL", "BR", "MX", "JP", "IN", "AU", "CA"
    };

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

    /** A client's coalescing queue and its writer, as in Sluice's {@code Subscriber}. */
    private final class Client {
        private final OutputStream out;
        private final LinkedHashMap<String, byte[]> queue = new LinkedHashMap<>();
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition ready = lock.newCondition();
        volatile boolean closed;

        Client(OutputStream out) {
            this.out = out;
        }

        void offer(String key, byte[] m) {
            if (closed) {
                return;
            }
            boolean overflow = false;
            lock.lock();
            try {
                if (queue.containsKey(key) || queue.size() < queueCapacity) {
                    queue.put(key, m);
                    ready.signal();
                } else {
                    overflow = true;
                }
            } finally {
                lock.unlock();
            }
            if (overflow) {
                dropped.incrementAndGet();
                closed = true;
                try {
                    out.close();
                } catch (IOException e) {
                    // gone anyway
                }
            }
        }

        void writeLoop() throws IOException, InterruptedException {
            while (!closed) {
                byte[] next = null;
                lock.lock();
                try {
                    if (queue.isEmpty()) {
                        ready.await(10, java.util.concurrent.TimeUnit.SECONDS);
                    }
                    Iterator<byte[]> it = queue.values().iterator();
                    if (it.hasNext()) {
                        next = it.next();
                        it.remove();
                    }
                } finally {
                    lock.unlock();
                }
                if (next == null) {
                    out.write(": heartbeat\n\n".getBytes(StandardCharsets.US_ASCII));
                } else {
                    out.write(next);
                }
                out.flush();
            }
        }
    }
}
