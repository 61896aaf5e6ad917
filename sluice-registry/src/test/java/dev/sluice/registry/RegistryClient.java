package dev.sluice.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.registry.http.RegistryApi;
import io.javalin.Javalin;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A registry served by Javalin on a free port, and a plain HTTP client for it (as any client would use). */
final class RegistryClient implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();

    final Javalin app;
    final String base;
    final HttpClient http = HttpClient.newHttpClient();

    RegistryClient(SchemaRegistry registry) {
        app = Javalin.create(cfg -> cfg.showJavalinBanner = false);
        RegistryApi.mount(app, registry, "/registry");
        app.start("127.0.0.1", 0);
        base = "http://127.0.0.1:" + app.port() + "/registry";
    }

    record Reply(int status, JsonNode body, String raw, String contentType) {
        int errorCode() {
            return body.path("error_code").asInt();
        }
    }

    Reply call(String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60));
        if (body == null) {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            b.header("Content-Type", RegistryApi.CONTENT_TYPE)
                    .method(method, HttpRequest.BodyPublishers.ofString(body));
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        JsonNode parsed;
        try {
            parsed = JSON.readTree(r.body());
        } catch (Exception e) {
            parsed = JSON.nullNode();
        }
        return new Reply(
                r.statusCode(),
                parsed,
                r.body(),
                r.headers().firstValue("Content-Type").orElse(""));
    }

    Reply get(String path) throws Exception {
        return call("GET", path, null);
    }

    static String schemaBody(String schema, String type) {
        ObjectNode o = JSON.createObjectNode();
        o.put("schema", schema);
        if (type != null) {
            o.put("schemaType", type);
        }
        return o.toString();
    }

    Reply register(String subject, String schema) throws Exception {
        return call("POST", "/subjects/" + subject + "/versions", schemaBody(schema, null));
    }

    Reply register(String subject, String schema, String type) throws Exception {
        return call("POST", "/subjects/" + subject + "/versions", schemaBody(schema, type));
    }

    Reply setLevel(String subject, String level) throws Exception {
        return call("PUT", "/config/" + subject, "{\"compatibility\":\"" + level + "\"}");
    }

    @Override
    public void close() {
        app.stop();
    }
}
