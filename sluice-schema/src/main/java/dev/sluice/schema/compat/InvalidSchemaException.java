package dev.sluice.schema.compat;

/**
 * A schema text that cannot be registered: not parseable, not valid for its type, an unsupported schema type, or
 * a reference that cannot be resolved. The message is meant for the user who submitted the schema.
 */
public class InvalidSchemaException extends RuntimeException {
    public InvalidSchemaException(String message) {
        super(message);
    }

    public InvalidSchemaException(String message, Throwable cause) {
        super(message, cause);
    }
}
