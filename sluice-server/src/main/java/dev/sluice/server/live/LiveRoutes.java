package dev.sluice.server.live;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.ViewDef;
import io.javalin.Javalin;
import io.javalin.http.sse.SseClient;
import io.javalin.websocket.WsContext;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** {@code GET /v1/live/{view}} (Server-Sent Events) and {@code /v1/ws} (WebSocket), on a {@link LiveHub}. */
public final class LiveRoutes {
    private LiveRoutes() {}

    public static void mount(Javalin app, Pipeline pipeline, LiveHub hub) {
        app.sse("/v1/live/{view}", client -> sse(client, pipeline, hub));
        Map<String, Subscriber> sockets = new ConcurrentHashMap<>();
        app.ws("/v1/ws", ws -> {
            ws.onConnect(ctx -> {
                Subscriber s = hub.newSubscriber("ws", new WsChannel(ctx));
                sockets.put(ctx.sessionId(), s);
                hub.attach(s);
            });
            ws.onMessage(ctx -> {
                Subscriber s = sockets.get(ctx.sessionId());
                if (s != null) {
                    String error = onWsMessage(s, ctx.message(), pipeline, hub);
                    if (error != null) {
                        ctx.send(LiveHub.JSON
                                .createObjectNode()
                                .put("type", "error")
                                .put("message", error)
                                .toString());
                    }
                }
            });
            ws.onClose(ctx -> {
                Subscriber s = sockets.remove(ctx.sessionId());
                if (s != null) {
                    s.close("client closed");
                }
            });
            ws.onError(ctx -> {
                Subscriber s = sockets.remove(ctx.sessionId());
                if (s != null) {
                    s.close("socket error");
                }
            });
        });
    }

    /** Group filter from query parameters or a message; null with {@code problem[0]} set when a field is unknown. */
    static Map<String, String> filter(ViewDef view, Map<String, String> raw, String[] problem) {
        Map<String, String> f = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : raw.entrySet()) {
            if (!view.groupBy().contains(e.getKey())) {
                problem[0] = "unknown field '" + e.getKey() + "': filter on a group field of view '" + view.name()
                        + "' " + view.groupBy();
                return null;
            }
            f.put(e.getKey(), e.getValue());
        }
        return f;
    }

    private static void sse(SseClient client, Pipeline pipeline, LiveHub hub) {
        String name = client.ctx().pathParam("view");
        ViewDef view = pipeline.views().get(name);
        if (view == null) {
            client.sendEvent("error", "{\"message\":\"unknown view '" + name + "'\"}", null);
            client.close();
            return;
        }
        Map<String, String> raw = new LinkedHashMap<>();
        client.ctx().queryParamMap().forEach((k, v) -> raw.put(k, v.get(0)));
        String[] problem = new String[1];
        Map<String, String> f = filter(view, raw, problem);
        if (f == null) {
            client.sendEvent(
                    "error",
                    LiveHub.JSON.createObjectNode().put("message", problem[0]).toString(),
                    null);
            client.close();
            return;
        }
        client.keepAlive();
        Subscriber s = hub.newSubscriber("sse", new SseChannel(client));
        s.subscribe(view.name(), f);
        client.onClose(() -> s.close("client closed"));
        String last = client.ctx().header("Last-Event-ID");
        try {
            if (last != null && last.matches("\\d+")) {
                hub.attachResuming(s, view, Long.parseLong(last), f);
            } else {
                hub.attach(s);
            }
        } catch (Exception e) {
            s.close("cannot resume: " + e.getMessage());
        }
    }

    private static String onWsMessage(Subscriber s, String text, Pipeline pipeline, LiveHub hub) {
        JsonNode m;
        try {
            m = LiveHub.JSON.readTree(text);
        } catch (Exception e) {
            return "not JSON: " + e.getMessage();
        }
        String op = m.path("op").asText("");
        String name = m.path("view").asText("");
        ViewDef view = pipeline.views().get(name);
        if (view == null) {
            return "unknown view '" + name + "'; views: " + pipeline.views().keySet();
        }
        switch (op) {
            case "subscribe" -> {
                Map<String, String> raw = new LinkedHashMap<>();
                m.path("filter")
                        .properties()
                        .forEach(e -> raw.put(e.getKey(), e.getValue().asText()));
                String[] problem = new String[1];
                Map<String, String> f = filter(view, raw, problem);
                if (f == null) {
                    return problem[0];
                }
                JsonNode last = m.path("last_id");
                if (last.isMissingNode() || last.isNull()) {
                    hub.subscribe(s, view, f);
                    return null;
                }
                String id = last.asText();
                if (!id.matches("\\d{1,18}")) {
                    return "last_id must be the id of an update received before, got '" + id + "'";
                }
                try {
                    hub.subscribeResuming(s, view, Long.parseLong(id), f);
                } catch (Exception e) {
                    return "cannot resume view '" + name + "' after " + id + ": " + e.getMessage();
                }
                return null;
            }
            case "unsubscribe" -> {
                s.unsubscribe(view.name());
                return null;
            }
            default -> {
                return "unknown op '" + op + "': use subscribe or unsubscribe";
            }
        }
    }

    private record SseChannel(SseClient client) implements Subscriber.Channel {
        @Override
        public void send(Message m) {
            if (client.terminated()) {
                throw new IllegalStateException("client gone");
            }
            client.sendEvent(m.type(), m.json(), m.type().equals("update") ? Long.toString(m.seq()) : null);
        }

        @Override
        public void heartbeat() {
            if (client.terminated()) {
                throw new IllegalStateException("client gone");
            }
            client.sendComment("heartbeat");
        }

        @Override
        public void close(String reason) {
            try {
                client.close();
            } catch (RuntimeException e) {
                // already closed
            }
        }
    }

    private record WsChannel(WsContext ctx) implements Subscriber.Channel {
        @Override
        public void send(Message m) {
            ctx.send(m.json());
        }

        @Override
        public void heartbeat() {
            ctx.sendPing(java.nio.ByteBuffer.allocate(0));
        }

        @Override
        public void close(String reason) {
            try {
                ctx.closeSession(1008, reason.length() > 100 ? reason.substring(0, 100) : reason);
            } catch (RuntimeException e) {
                // already closed
            }
        }
    }
}
