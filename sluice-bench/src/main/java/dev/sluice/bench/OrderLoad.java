package dev.sluice.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Recorder;

/**
 * A steady load of paid orders in the current minute, posted as NDJSON batches every 50 ms to
 * {@code POST /v1/streams/orders/events}, spread round-robin over {@code groups} (country, currency) rows. One
 * thread: when a post is slow, the next batch carries what is due, so the rate holds as long as a post takes less
 * than a second.
 */
final class OrderLoad implements AutoCloseable {
    static final String[] COUNTRIES = {
        "US", "GB", "DE", "FR", "ES", "IT", "NL", "SE", "PL", "BR", "MX", "JP", "IN", "AU", "CA"
    };
    static final String[] CURRENCIES = {"USD", "EUR", "GBP", "SEK", "PLN", "BRL", "MXN", "JPY", "INR", "AUD", "CAD"};
    /** Each country's own currency, as an index into {@link #CURRENCIES}. */
    private static final int[] HOME = {0, 2, 1, 1, 1, 1, 1, 3, 4, 5, 6, 7, 8, 9, 10};

    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();
    private final URI uri;
    private final double rate;
    private final int groups;
    private final String run = Long.toString(System.currentTimeMillis(), 36);
    private final Thread thread;
    private volatile boolean running = true;
    private volatile boolean paused;

    /** Events the server accepted (200/207). */
    final AtomicLong accepted = new AtomicLong();
    /** How long each post took until the server answered, in microseconds. */
    final Recorder postMicros = new Recorder(3);
    /** Posts that failed or were not accepted in full. */
    final AtomicLong failedPosts = new AtomicLong();

    volatile String lastError;

    OrderLoad(String base, double rate, int groups) {
        this.uri = URI.create(base + "/v1/streams/orders/events");
        this.rate = rate;
        this.groups = Math.min(groups, COUNTRIES.length * CURRENCIES.length);
        this.thread = new Thread(this::loop, "order-load");
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Group {@code g}'s (country, currency): every country with its home currency first, then other currencies. */
    static String[] group(int g) {
        int c = g % COUNTRIES.length;
        int k = (HOME[c] + g / COUNTRIES.length) % CURRENCIES.length;
        return new String[] {COUNTRIES[c], CURRENCIES[k]};
    }

    /** Stops posting until {@link #resume}; what would have been due meanwhile is not made up for. */
    void pause() {
        paused = true;
    }

    void resume() {
        paused = false;
    }

    private void loop() {
        long start = System.nanoTime();
        long sent = 0; // events sent since start
        long total = 0; // events sent since the beginning: ids stay unique
        while (running) {
            if (paused) {
                start = System.nanoTime();
                sent = 0;
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
                continue;
            }
            long due = (long) (rate * (System.nanoTime() - start) / 1e9);
            int n = (int) Math.min(due - sent, 5_000);
            if (n > 0) {
                StringBuilder body = new StringBuilder(n * 200);
                String now = Instant.now().toString();
                for (int i = 0; i < n; i++) {
                    long k = total + i;
                    String[] g = group((int) (k % groups));
                    body.append("{\"event_id\":\"bench-")
                            .append(run)
                            .append('-')
                            .append(k)
                            .append("\",\"order_id\":\"o-")
                            .append(run)
                            .append('-')
                            .append(k)
                            .append("\",\"user_id\":\"u-")
                            .append(k % 997)
                            .append("\",\"country\":\"")
                            .append(g[0])
                            .append("\",\"currency\":\"")
                            .append(g[1])
                            .append("\",\"amount\":")
                            .append(10 + k % 90)
                            .append(".5,\"status\":\"paid\",\"created_at\":\"")
                            .append(now)
                            .append("\"}\n");
                }
                sent += n;
                total += n;
                post(body.toString(), n);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void post(String body, int n) {
        long t0 = System.nanoTime();
        try {
            HttpResponse<String> r = http.send(
                    HttpRequest.newBuilder(uri)
                            .header("Content-Type", "application/x-ndjson")
                            .timeout(Duration.ofSeconds(30))
                            .POST(HttpRequest.BodyPublishers.ofString(body))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 200) {
                accepted.addAndGet(n);
            } else {
                failedPosts.incrementAndGet();
                lastError = r.statusCode() + " "
                        + r.body().substring(0, Math.min(200, r.body().length()));
            }
        } catch (Exception e) {
            failedPosts.incrementAndGet();
            lastError = e.toString();
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
        } finally {
            postMicros.recordValue((System.nanoTime() - t0) / 1_000);
        }
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        http.close();
    }
}
