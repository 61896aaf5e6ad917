package dev.sluice.server.live;

import java.util.Map;

/**
 * One message to a live client: an {@code update} of a row (coalescing key: view and row), a {@code status}
 * of a view, or the {@code subscribed} acknowledgement of a subscription (coalescing key: the type and view).
 *
 * @param seq the view's update sequence number (0 for status)
 * @param group the row's group values by field, for filtering (empty for status)
 * @param sourceMs the update's source time in epoch millis, for latency (0: none, e.g. status or snapshot)
 */
public record Message(
        String type, String view, long seq, String rowKey, Map<String, Object> group, String json, long sourceMs) {
    public Message(String type, String view, long seq, String rowKey, Map<String, Object> group, String json) {
        this(type, view, seq, rowKey, group, json, 0);
    }

    /** This update under another id (the JSON's {@code "id"} is rewritten too). */
    Message withSeq(long newSeq) {
        String idField = "\"id\":\"" + seq + "\"";
        int at = json.indexOf(idField);
        String j = at < 0
                ? json
                : json.substring(0, at) + "\"id\":\"" + newSeq + "\"" + json.substring(at + idField.length());
        return new Message(type, view, newSeq, rowKey, group, j, sourceMs);
    }

    /** What a newer message replaces in a client's queue: the same row's update, or the same kind for the view. */
    String coalesceKey() {
        return type.equals("update") ? view + "\u0000" + rowKey : type + "\u0000" + view;
    }

    /** Whether a client's group filter (field → text value) admits this message. */
    boolean matches(Map<String, String> filter) {
        if (!type.equals("update") || filter.isEmpty()) {
            return true;
        }
        for (Map.Entry<String, String> f : filter.entrySet()) {
            Object v = group.get(f.getKey());
            if (v == null || !String.valueOf(v).equals(f.getValue())) {
                return false;
            }
        }
        return true;
    }
}
