package dev.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.PipelineException;
import dev.sluice.pipeline.PipelineLoader;
import dev.sluice.pipeline.StreamDef;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sluice schema ...}: the schema registry from the command line, for people and for CI. */
@Command(
        name = "schema",
        description = "Work with a schema registry (Sluice's, or any Confluent-compatible one).",
        subcommands = {
            SchemaCommand.Check.class,
            SchemaCommand.Subjects.class,
            SchemaCommand.Versions.class,
            SchemaCommand.Diff.class
        })
final class SchemaCommand implements Runnable {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String CT = "application/vnd.schemaregistry.v1+json";

    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    /** A registry client over HTTP: just the calls the commands need. */
    record Client(String base, HttpClient http) {
        static Client of(String url) {
            String b = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
            return new Client(
                    b,
                    HttpClient.newBuilder()
                            .connectTimeout(Duration.ofSeconds(5))
                            .build());
        }

        HttpResponse<String> call(String method, String path, String body) throws IOException, InterruptedException {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
                    .timeout(Duration.ofSeconds(30))
                    .header("Accept", CT);
            if (body != null) {
                b.header("Content-Type", CT).method(method, HttpRequest.BodyPublishers.ofString(body));
            } else {
                b.method(method, HttpRequest.BodyPublishers.noBody());
            }
            try {
                return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            } catch (java.net.ConnectException e) {
                throw new IOException("cannot reach the registry at " + base + " (" + e.getMessage() + ")", e);
            }
        }

        JsonNode ok(HttpResponse<String> r) throws IOException {
            JsonNode b = JSON.readTree(r.body());
            if (r.statusCode() / 100 != 2) {
                throw new IOException("registry answered " + r.statusCode() + ": "
                        + b.path("message").asText(r.body()));
            }
            return b;
        }
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    @Command(
            name = "check",
            description = "Check every stream's schema against its subject in the registry, as `sluice run` would"
                    + " before starting; exit 1 when one would be refused.")
    static final class Check implements Callable<Integer> {
        @Parameters(paramLabel = "PIPELINE", description = "the pipeline file")
        Path file;

        @Option(names = "--registry", required = true, paramLabel = "URL", description = "registry base URL")
        String registry;

        @Override
        public Integer call() throws Exception {
            Pipeline p;
            try {
                p = PipelineLoader.withSystemEnv().load(file);
            } catch (PipelineException e) {
                System.err.println(e.getMessage());
                return 1;
            }
            return check(p, Client.of(registry), System.out, System.err);
        }

        static int check(Pipeline p, Client c, PrintStream out, PrintStream err) throws Exception {
            int refused = 0;
            for (StreamDef s : p.streams().values()) {
                String subject = p.subject(s.name());
                ObjectNode body = JSON.createObjectNode();
                body.put("schema", s.schemaText());
                if (!"AVRO".equals(s.schemaType())) {
                    body.put("schemaType", s.schemaType());
                }
                HttpResponse<String> r = c.call(
                        "POST",
                        "/compatibility/subjects/" + enc(subject) + "/versions/latest?verbose=true",
                        body.toString());
                JsonNode b = JSON.readTree(r.body());
                if (r.statusCode() == 404 && b.path("error_code").asInt() == 40401) {
                    out.println("stream '" + s.name() + "': subject '" + subject
                            + "' is new; the schema will be its version 1");
                    continue;
                }
                if (r.statusCode() != 200) {
                    err.println("stream '" + s.name() + "': registry answered " + r.statusCode() + ": "
                            + b.path("message").asText(r.body()));
                    refused++;
                    continue;
                }
                if (b.path("is_compatible").asBoolean()) {
                    out.println("stream '" + s.name() + "': compatible with subject '" + subject + "'");
                } else {
                    refused++;
                    err.println("stream '" + s.name() + "': schema " + s.schemaFile()
                            + " is incompatible with subject '" + subject + "':");
                    for (JsonNode m : b.path("messages")) {
                        err.println("  " + m.asText());
                    }
                }
            }
            return refused == 0 ? 0 : 1;
        }
    }

    @Command(name = "subjects", description = "List the registry's subjects.")
    static final class Subjects implements Callable<Integer> {
        @Option(names = "--registry", required = true, paramLabel = "URL", description = "registry base URL")
        String registry;

        @Override
        public Integer call() throws Exception {
            Client c = Client.of(registry);
            for (JsonNode s : c.ok(c.call("GET", "/subjects", null))) {
                System.out.println(s.asText());
            }
            return 0;
        }
    }

    @Command(name = "versions", description = "List a subject's versions with their schema ids.")
    static final class Versions implements Callable<Integer> {
        @Parameters(paramLabel = "SUBJECT")
        String subject;

        @Option(names = "--registry", required = true, paramLabel = "URL", description = "registry base URL")
        String registry;

        @Override
        public Integer call() throws Exception {
            Client c = Client.of(registry);
            try {
                for (JsonNode v : c.ok(c.call("GET", "/subjects/" + enc(subject) + "/versions", null))) {
                    JsonNode d = c.ok(c.call("GET", "/subjects/" + enc(subject) + "/versions/" + v.asInt(), null));
                    System.out.println("version " + v.asInt() + "  id "
                            + d.path("id").asInt() + "  " + d.path("schemaType").asText("AVRO"));
                }
                return 0;
            } catch (IOException e) {
                System.err.println(subject + ": " + e.getMessage());
                return 1;
            }
        }
    }

    @Command(name = "diff", description = "Show what changed between two versions of a subject.")
    static final class Diff implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "SUBJECT")
        String subject;

        @Parameters(index = "1", paramLabel = "FROM", description = "a version number")
        String from;

        @Parameters(index = "2", paramLabel = "TO", description = "a version number or latest")
        String to;

        @Option(names = "--registry", required = true, paramLabel = "URL", description = "registry base URL")
        String registry;

        @Override
        public Integer call() throws Exception {
            Client c = Client.of(registry);
            try {
                String a = pretty(c.ok(c.call("GET", "/subjects/" + enc(subject) + "/versions/" + enc(from), null)));
                String b = pretty(c.ok(c.call("GET", "/subjects/" + enc(subject) + "/versions/" + enc(to), null)));
                System.out.println("--- " + subject + " version " + from);
                System.out.println("+++ " + subject + " version " + to);
                for (String line : diff(a.lines().toList(), b.lines().toList())) {
                    System.out.println(line);
                }
                return 0;
            } catch (IOException e) {
                System.err.println(subject + ": " + e.getMessage());
                return 1;
            }
        }

        static String pretty(JsonNode version) throws IOException {
            JsonNode schema = JSON.readTree(version.path("schema").asText());
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(schema);
        }

        /** A line diff (longest common subsequence): unchanged lines start with two spaces, others - or +. */
        static List<String> diff(List<String> a, List<String> b) {
            int[][] lcs = new int[a.size() + 1][b.size() + 1];
            for (int i = a.size() - 1; i >= 0; i--) {
                for (int j = b.size() - 1; j >= 0; j--) {
                    lcs[i][j] =
                            a.get(i).equals(b.get(j)) ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
                }
            }
            List<String> out = new ArrayList<>();
            int i = 0;
            int j = 0;
            while (i < a.size() && j < b.size()) {
                if (a.get(i).equals(b.get(j))) {
                    out.add("  " + a.get(i++));
                    j++;
                } else if (lcs[i + 1][j] >= lcs[i][j + 1]) {
                    out.add("- " + a.get(i++));
                } else {
                    out.add("+ " + b.get(j++));
                }
            }
            while (i < a.size()) {
                out.add("- " + a.get(i++));
            }
            while (j < b.size()) {
                out.add("+ " + b.get(j++));
            }
            return out;
        }
    }
}
