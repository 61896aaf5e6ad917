package dev.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sluice lag}: a running pipeline's consumer lag per group, topic and partition, from {@code GET /v1/lag},
 * laid out like {@code kafka-consumer-groups.sh --describe} with the lag in seconds added.
 */
@Command(name = "lag", description = "Show a running pipeline's consumer lag per group, topic and partition.")
final class LagCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(
            names = "--url",
            defaultValue = "http://127.0.0.1:8080",
            description = "the running pipeline's HTTP address (default: ${DEFAULT-VALUE})")
    String url;

    @Option(names = "--group", description = "only this consumer group")
    String group;

    @Option(names = "--json", description = "print the JSON of GET /v1/lag")
    boolean json;

    PrintStream out = System.out;
    PrintStream err = System.err;

    @Override
    public Integer call() throws Exception {
        String base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        HttpResponse<String> r;
        try {
            r = HttpClient.newBuilder()
                    .connectTimeout(Duration.ofSeconds(5))
                    .build()
                    .send(
                            HttpRequest.newBuilder(URI.create(base + "/v1/lag"))
                                    .timeout(Duration.ofSeconds(30))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
        } catch (java.io.IOException e) {
            err.println("sluice lag: cannot reach " + base + ": " + e);
            return 1;
        }
        if (r.statusCode() != 200) {
            err.println("sluice lag: " + base + "/v1/lag answered " + r.statusCode() + ": " + r.body());
            return 1;
        }
        JsonNode body = JSON.readTree(r.body());
        if (json) {
            out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(body));
            return 0;
        }
        String fmt = "%-36s %-52s %9s %14s %14s %8s %11s%n";
        out.printf(fmt, "GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "LAG-SECONDS");
        for (JsonNode g : body.get("groups")) {
            if (group != null && !group.equals(g.get("group").asText())) {
                continue;
            }
            for (JsonNode p : g.get("partitions")) {
                out.printf(
                        fmt,
                        g.get("group").asText(),
                        p.get("topic").asText(),
                        p.get("partition").asText(),
                        p.get("current_offset").asText(),
                        p.get("log_end_offset").asText(),
                        p.get("lag").asText(),
                        String.format(
                                java.util.Locale.ROOT,
                                "%.1f",
                                p.get("lag_seconds").asDouble()));
            }
        }
        return 0;
    }
}
