package dev.sluice.sinks.clickhouse;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * ClickHouse's HTTP interface, the one every release has (18.16 included; the current official Java client cannot
 * talk to 18.16). Queries go in the body, inserts in the URL with their rows in {@code RowBinary} in the body:
 * binary doubles, because 18.16 parses some decimal floats off by one unit in the last place.
 */
public final class ClickHouseHttp {
    private final HttpClient http;
    private final String base;

    /**
     * @param url the HTTP interface, {@code http://host:8123}
     */
    public ClickHouseHttp(String url, String database, String user, String password) {
        String u = url.endsWith("/") ? url : url + "/";
        StringBuilder b = new StringBuilder(u).append("?user=").append(enc(user));
        if (password != null && !password.isEmpty()) {
            b.append("&password=").append(enc(password));
        }
        if (database != null) {
            b.append("&database=").append(enc(database));
        }
        // 64-bit integers as JSON numbers (18.16 quotes them by default)
        b.append("&output_format_json_quote_64bit_integers=0");
        this.base = b.toString();
        this.http = HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(5))
                .version(HttpClient.Version.HTTP_1_1)
                .build();
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** Runs a statement or query and returns the whole answer as text. */
    public String query(String sql) throws IOException {
        HttpResponse<String> r = send(
                HttpRequest.newBuilder(URI.create(base))
                        .timeout(Duration.ofSeconds(60))
                        .POST(HttpRequest.BodyPublishers.ofString(sql))
                        .build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8),
                sql);
        return r.body();
    }

    /** Runs a query and hands each line of the answer to {@code each}, as it streams in. */
    public void queryLines(String sql, Consumer<String> each) throws IOException {
        HttpResponse<InputStream> r = send(
                HttpRequest.newBuilder(URI.create(base))
                        .timeout(Duration.ofMinutes(10))
                        .POST(HttpRequest.BodyPublishers.ofString(sql))
                        .build(),
                HttpResponse.BodyHandlers.ofInputStream(),
                sql);
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (!line.isEmpty()) {
                    each.accept(line);
                }
            }
        }
    }

    /** {@code INSERT INTO table (columns) FORMAT RowBinary} with the encoded rows. */
    public void insert(String table, String columns, byte[] rowBinary) throws IOException {
        String q = "INSERT INTO " + table + " (" + columns + ") FORMAT RowBinary";
        send(
                HttpRequest.newBuilder(URI.create(base + "&query=" + enc(q)))
                        .timeout(Duration.ofSeconds(60))
                        .header("Content-Type", "application/octet-stream")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(rowBinary))
                        .build(),
                HttpResponse.BodyHandlers.discarding(),
                q);
    }

    private <T> HttpResponse<T> send(HttpRequest req, HttpResponse.BodyHandler<T> handler, String what)
            throws IOException {
        HttpResponse<T> r;
        try {
            // the body of an error answer is ClickHouse's message; read it whatever the handler
            r = http.send(
                    req,
                    info -> info.statusCode() == 200
                            ? handler.apply(info)
                            : castBody(HttpResponse.BodyHandlers.ofByteArray().apply(info)));
            if (r.statusCode() != 200) {
                Object body = r.body();
                String msg = body instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8) : "";
                throw new IOException("ClickHouse answered " + r.statusCode() + " to '" + abbreviate(what) + "': "
                        + abbreviate(msg.strip()));
            }
            return r;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for ClickHouse", e);
        }
    }

    @SuppressWarnings("unchecked")
    private static <T> HttpResponse.BodySubscriber<T> castBody(HttpResponse.BodySubscriber<byte[]> s) {
        return (HttpResponse.BodySubscriber<T>) (HttpResponse.BodySubscriber<?>) s;
    }

    private static String abbreviate(String s) {
        return s.length() <= 400 ? s : s.substring(0, 400) + "…";
    }

    /** A string literal for ClickHouse SQL. */
    public static String literal(String s) {
        return dev.sluice.pipeline.SqlFilter.quote(s);
    }

    /** An identifier, back-quoted. */
    public static String ident(String s) {
        return "`" + s.replace("\\", "\\\\").replace("`", "\\`") + "`";
    }
}
