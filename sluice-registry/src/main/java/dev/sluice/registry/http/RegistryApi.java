package dev.sluice.registry.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.registry.RegistryException;
import dev.sluice.registry.SchemaRegistry;
import dev.sluice.registry.StoredSchema;
import dev.sluice.registry.SubjectVersion;
import dev.sluice.schema.compat.CompatibilityLevel;
import dev.sluice.schema.compat.InvalidSchemaException;
import dev.sluice.schema.compat.SchemaReference;
import dev.sluice.schema.compat.SchemaType;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.util.ArrayList;
import java.util.List;

/**
 * The REST API of the Confluent Schema Registry, mounted under a path prefix ({@code /registry} on the Sluice
 * server, or {@code ""} on a port of its own). Bodies and error codes follow Confluent's documentation, so
 * Confluent's clients and serializers work against it unchanged.
 */
public final class RegistryApi {
    public static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final SchemaRegistry registry;

    private RegistryApi(SchemaRegistry registry) {
        this.registry = registry;
    }

    /** Adds the registry's routes under {@code prefix} (empty or starting with '/'). */
    public static void mount(Javalin app, SchemaRegistry registry, String prefix) {
        RegistryApi api = new RegistryApi(registry);
        String p = prefix == null ? "" : prefix;
        app.get(p + "/", ctx -> api.json(ctx, JSON.createObjectNode()));
        app.get(p + "/subjects", api.h(api::subjects));
        app.get(p + "/subjects/{subject}/versions", api.h(api::versions));
        app.post(p + "/subjects/{subject}/versions", api.h(api::register));
        app.get(p + "/subjects/{subject}/versions/{version}", api.h(api::version));
        app.get(p + "/subjects/{subject}/versions/{version}/schema", api.h(api::versionSchema));
        app.get(p + "/subjects/{subject}/versions/{version}/referencedby", api.h(api::referencedBy));
        app.delete(p + "/subjects/{subject}/versions/{version}", api.h(api::deleteVersion));
        app.post(p + "/subjects/{subject}", api.h(api::lookup));
        app.delete(p + "/subjects/{subject}", api.h(api::deleteSubject));
        app.get(p + "/schemas/ids/{id}", api.h(api::schemaById));
        app.get(p + "/schemas/ids/{id}/schema", api.h(api::schemaTextById));
        app.get(p + "/schemas/ids/{id}/subjects", api.h(api::subjectsById));
        app.get(p + "/schemas/ids/{id}/versions", api.h(api::versionsById));
        app.get(p + "/schemas/types", api.h(ctx -> api.json(ctx, List.of("JSON", "AVRO"))));
        app.get(p + "/config", api.h(api::getGlobalConfig));
        app.put(p + "/config", api.h(api::putGlobalConfig));
        app.delete(p + "/config", api.h(api::deleteGlobalConfig));
        app.get(p + "/config/{subject}", api.h(api::getSubjectConfig));
        app.put(p + "/config/{subject}", api.h(api::putSubjectConfig));
        app.delete(p + "/config/{subject}", api.h(api::deleteSubjectConfig));
        app.post(p + "/compatibility/subjects/{subject}/versions", api.h(ctx -> api.compatibility(ctx, null)));
        app.post(
                p + "/compatibility/subjects/{subject}/versions/{version}",
                api.h(ctx -> api.compatibility(ctx, ctx.pathParam("version"))));
        app.get(p + "/mode", api.h(ctx -> api.json(ctx, JSON.createObjectNode().put("mode", "READWRITE"))));
        app.get(
                p + "/mode/{subject}",
                api.h(ctx -> api.json(ctx, JSON.createObjectNode().put("mode", "READWRITE"))));
    }

    private Handler h(Handler inner) {
        return ctx -> {
            try {
                inner.handle(ctx);
            } catch (RegistryException e) {
                error(ctx, e.status(), e.errorCode(), e.getMessage());
            } catch (BadRequest e) {
                error(ctx, e.status, e.code, e.getMessage());
            }
        };
    }

    private static final class BadRequest extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int status;
        final int code;

        BadRequest(int status, int code, String message) {
            super(message);
            this.status = status;
            this.code = code;
        }
    }

    private void error(Context ctx, int status, int code, String message) {
        ObjectNode b = JSON.createObjectNode();
        b.put("error_code", code);
        b.put("message", message);
        ctx.status(status).contentType(CONTENT_TYPE).result(b.toString());
    }

    private void json(Context ctx, Object body) throws Exception {
        ctx.contentType(CONTENT_TYPE).result(JSON.writeValueAsString(body));
    }

    private static boolean flag(Context ctx, String name) {
        return "true".equalsIgnoreCase(ctx.queryParam(name));
    }

    private static String subject(Context ctx) {
        return ctx.pathParam("subject");
    }

    // ---- subjects and versions

    private void subjects(Context ctx) throws Exception {
        List<String> all = registry.subjects(flag(ctx, "deleted"));
        String prefix = ctx.queryParam("subjectPrefix");
        json(
                ctx,
                prefix == null
                        ? all
                        : all.stream().filter(s -> s.startsWith(prefix)).toList());
    }

    private void versions(Context ctx) throws Exception {
        json(ctx, registry.versions(subject(ctx), flag(ctx, "deleted")));
    }

    private ObjectNode versionBody(SchemaRegistry.VersionedSchema v) {
        ObjectNode o = JSON.createObjectNode();
        o.put("subject", v.subject());
        o.put("version", v.version());
        o.put("id", v.id());
        schemaFields(o, v.schema());
        return o;
    }

    private static void schemaFields(ObjectNode o, StoredSchema s) {
        if (s.type() != SchemaType.AVRO) {
            o.put("schemaType", s.type().name());
        }
        if (!s.references().isEmpty()) {
            ArrayNode refs = o.putArray("references");
            for (SchemaReference r : s.references()) {
                refs.addObject()
                        .put("name", r.name())
                        .put("subject", r.subject())
                        .put("version", r.version());
            }
        }
        o.put("schema", s.text());
    }

    private void version(Context ctx) throws Exception {
        json(ctx, versionBody(registry.version(subject(ctx), ctx.pathParam("version"), flag(ctx, "deleted"))));
    }

    private void versionSchema(Context ctx) {
        String text = registry.version(subject(ctx), ctx.pathParam("version"), flag(ctx, "deleted"))
                .schema()
                .text();
        ctx.contentType(CONTENT_TYPE).result(text);
    }

    private void referencedBy(Context ctx) throws Exception {
        SchemaRegistry.VersionedSchema v = registry.version(subject(ctx), ctx.pathParam("version"), false);
        List<Integer> ids = new ArrayList<>();
        for (String s : registry.subjects(false)) {
            for (int n : registry.versions(s, false)) {
                SchemaRegistry.VersionedSchema other = registry.version(s, Integer.toString(n), false);
                if (other.schema().references().stream()
                        .anyMatch(r -> r.subject().equals(v.subject()) && r.version() == v.version())) {
                    ids.add(other.id());
                }
            }
        }
        json(ctx, ids);
    }

    /** The schema, type and references of a request body. */
    private record Candidate(SchemaType type, String schema, List<SchemaReference> references) {}

    private Candidate candidate(Context ctx) {
        JsonNode body;
        try {
            body = JSON.readTree(ctx.bodyAsBytes());
        } catch (Exception e) {
            throw new BadRequest(400, 400, "The request body is not JSON: " + e.getMessage());
        }
        if (body == null || !body.isObject()) {
            throw new BadRequest(400, 400, "The request body must be a JSON object with a \"schema\" field.");
        }
        JsonNode schema = body.get("schema");
        if (schema == null || !schema.isTextual()) {
            throw RegistryException.invalidSchema(
                    "the request needs a \"schema\" field holding the schema as a string");
        }
        SchemaType type;
        try {
            type = SchemaType.parse(body.path("schemaType").asText(""));
        } catch (InvalidSchemaException e) {
            throw RegistryException.invalidSchema(e.getMessage());
        }
        List<SchemaReference> refs = new ArrayList<>();
        for (JsonNode r : body.path("references")) {
            if (!r.hasNonNull("name")
                    || !r.hasNonNull("subject")
                    || !r.path("version").canConvertToInt()) {
                throw RegistryException.invalidSchema(
                        "each reference needs \"name\", \"subject\" and \"version\", got " + r);
            }
            refs.add(new SchemaReference(
                    r.get("name").asText(),
                    r.get("subject").asText(),
                    r.get("version").asInt()));
        }
        return new Candidate(type, schema.asText(), refs);
    }

    private void register(Context ctx) throws Exception {
        Candidate c = candidate(ctx);
        int id = registry.register(subject(ctx), c.type(), c.schema(), c.references());
        json(ctx, JSON.createObjectNode().put("id", id));
    }

    private void lookup(Context ctx) throws Exception {
        Candidate c = candidate(ctx);
        json(
                ctx,
                versionBody(registry.lookup(subject(ctx), c.type(), c.schema(), c.references(), flag(ctx, "deleted"))));
    }

    private void deleteVersion(Context ctx) throws Exception {
        json(ctx, registry.deleteVersion(subject(ctx), ctx.pathParam("version"), flag(ctx, "permanent")));
    }

    private void deleteSubject(Context ctx) throws Exception {
        json(ctx, registry.deleteSubject(subject(ctx), flag(ctx, "permanent")));
    }

    // ---- schemas by id

    private int id(Context ctx) {
        try {
            return Integer.parseInt(ctx.pathParam("id"));
        } catch (NumberFormatException e) {
            throw RegistryException.schemaNotFound("'" + ctx.pathParam("id") + "' is not a schema id");
        }
    }

    private void schemaById(Context ctx) throws Exception {
        ObjectNode o = JSON.createObjectNode();
        schemaFields(o, registry.schema(id(ctx)));
        json(ctx, o);
    }

    private void schemaTextById(Context ctx) {
        ctx.contentType(CONTENT_TYPE).result(registry.schema(id(ctx)).text());
    }

    private void subjectsById(Context ctx) throws Exception {
        json(
                ctx,
                registry.usesOf(id(ctx), flag(ctx, "deleted")).stream()
                        .map(SubjectVersion::subject)
                        .distinct()
                        .toList());
    }

    private void versionsById(Context ctx) throws Exception {
        ArrayNode out = JSON.createArrayNode();
        for (SubjectVersion v : registry.usesOf(id(ctx), flag(ctx, "deleted"))) {
            out.addObject().put("subject", v.subject()).put("version", v.version());
        }
        json(ctx, out);
    }

    // ---- config

    private CompatibilityLevel level(Context ctx) {
        JsonNode body;
        try {
            body = JSON.readTree(ctx.bodyAsBytes());
        } catch (Exception e) {
            throw new BadRequest(400, 400, "The request body is not JSON: " + e.getMessage());
        }
        String level = body == null ? null : body.path("compatibility").asText(null);
        if (level == null) {
            throw RegistryException.invalidCompatibility(String.valueOf(body));
        }
        try {
            return CompatibilityLevel.parse(level);
        } catch (IllegalArgumentException e) {
            throw RegistryException.invalidCompatibility(level);
        }
    }

    private void getGlobalConfig(Context ctx) throws Exception {
        json(
                ctx,
                JSON.createObjectNode()
                        .put("compatibilityLevel", registry.globalLevel().name()));
    }

    private void putGlobalConfig(Context ctx) throws Exception {
        CompatibilityLevel l = registry.setLevel(null, level(ctx));
        json(ctx, JSON.createObjectNode().put("compatibility", l.name()));
    }

    private void deleteGlobalConfig(Context ctx) throws Exception {
        CompatibilityLevel had = registry.deleteLevel(null);
        json(ctx, JSON.createObjectNode().put("compatibilityLevel", had.name()));
    }

    private void getSubjectConfig(Context ctx) throws Exception {
        var level = registry.subjectLevel(subject(ctx));
        if (level.isEmpty() && !flag(ctx, "defaultToGlobal")) {
            throw RegistryException.subjectConfigNotFound(subject(ctx));
        }
        json(
                ctx,
                JSON.createObjectNode()
                        .put(
                                "compatibilityLevel",
                                level.orElse(registry.globalLevel()).name()));
    }

    private void putSubjectConfig(Context ctx) throws Exception {
        CompatibilityLevel l = registry.setLevel(subject(ctx), level(ctx));
        json(ctx, JSON.createObjectNode().put("compatibility", l.name()));
    }

    private void deleteSubjectConfig(Context ctx) throws Exception {
        CompatibilityLevel had = registry.deleteLevel(subject(ctx));
        json(ctx, JSON.createObjectNode().put("compatibilityLevel", had.name()));
    }

    // ---- compatibility

    private void compatibility(Context ctx, String version) throws Exception {
        Candidate c = candidate(ctx);
        List<String> problems = registry.testCompatibility(subject(ctx), version, c.type(), c.schema(), c.references());
        ObjectNode o = JSON.createObjectNode();
        o.put("is_compatible", problems.isEmpty());
        if (flag(ctx, "verbose")) {
            ArrayNode m = o.putArray("messages");
            problems.forEach(m::add);
        }
        json(ctx, o);
    }
}
