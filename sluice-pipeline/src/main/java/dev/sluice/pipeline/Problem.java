package dev.sluice.pipeline;

/**
 * One problem in a pipeline file, printed as {@code file:line:col: path: message}.
 *
 * @param path the dotted path of the offending key, e.g. {@code views.gmv.window.grace}
 */
public record Problem(String file, int line, int column, String path, String message) {
    @Override
    public String toString() {
        return file + ":" + line + ":" + column + ": " + path + ": " + message;
    }
}
