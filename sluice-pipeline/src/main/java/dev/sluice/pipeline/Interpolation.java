package dev.sluice.pipeline;

import java.util.Map;

/**
 * Environment interpolation of scalar values, as Vector does it: {@code ${VAR}}, {@code $VAR},
 * {@code ${VAR:-default}} (default when unset or empty), {@code ${VAR-default}} (default when unset),
 * {@code ${VAR:?message}} (an error when unset or empty), {@code ${VAR?message}} (an error when
 * unset), and {@code $$} for a literal {@code $}.
 */
final class Interpolation {

    private Interpolation() {}

    static final class InterpolationException extends Exception {
        private static final long serialVersionUID = 1L;

        InterpolationException(String message) {
            super(message);
        }
    }

    static String apply(String text, Map<String, String> env) throws InterpolationException {
        if (text.indexOf('$') < 0) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length());
        int i = 0;
        int n = text.length();
        while (i < n) {
            char c = text.charAt(i);
            if (c != '$' || i + 1 >= n) {
                out.append(c);
                i++;
                continue;
            }
            char next = text.charAt(i + 1);
            if (next == '$') {
                out.append('$');
                i += 2;
            } else if (next == '{') {
                int close = text.indexOf('}', i + 2);
                if (close < 0) {
                    throw new InterpolationException("unterminated '${' in '" + text + "'");
                }
                out.append(expand(text.substring(i + 2, close), env));
                i = close + 1;
            } else if (isNameStart(next)) {
                int end = i + 1;
                while (end < n && isNamePart(text.charAt(end))) {
                    end++;
                }
                String name = text.substring(i + 1, end);
                String value = env.get(name);
                if (value == null) {
                    throw unset(name);
                }
                out.append(value);
                i = end;
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    private static String expand(String body, Map<String, String> env) throws InterpolationException {
        int end = 0;
        while (end < body.length() && isNamePart(body.charAt(end))) {
            end++;
        }
        String name = body.substring(0, end);
        if (name.isEmpty() || !isNameStart(name.charAt(0))) {
            throw new InterpolationException("invalid variable name in '${" + body + "}'");
        }
        String rest = body.substring(end);
        String value = env.get(name);
        if (rest.isEmpty()) {
            if (value == null) {
                throw unset(name);
            }
            return value;
        }
        if (rest.startsWith(":-")) {
            return value == null || value.isEmpty() ? rest.substring(2) : value;
        }
        if (rest.startsWith("-")) {
            return value == null ? rest.substring(1) : value;
        }
        if (rest.startsWith(":?")) {
            if (value == null || value.isEmpty()) {
                throw required(name, rest.substring(2), value == null ? "is not set" : "is empty");
            }
            return value;
        }
        if (rest.startsWith("?")) {
            if (value == null) {
                throw required(name, rest.substring(1), "is not set");
            }
            return value;
        }
        throw new InterpolationException(
                "invalid interpolation '${" + body + "}' (use ${VAR}, ${VAR:-default} or ${VAR:?message})");
    }

    private static InterpolationException unset(String name) {
        return new InterpolationException("environment variable '" + name + "' is not set (write ${" + name
                + ":-default} to give a default, or $$ for a literal $)");
    }

    private static InterpolationException required(String name, String message, String state) {
        return new InterpolationException(
                "environment variable '" + name + "' " + state + (message.isEmpty() ? "" : ": " + message));
    }

    private static boolean isNameStart(char c) {
        return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    }

    private static boolean isNamePart(char c) {
        return isNameStart(c) || (c >= '0' && c <= '9');
    }
}
