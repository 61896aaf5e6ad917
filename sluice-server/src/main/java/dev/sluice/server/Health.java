package dev.sluice.server;

/** What {@code GET /health} reports; each supplier says whether that part is up. */
public record Health(
        java.util.function.BooleanSupplier broker,
        java.util.function.BooleanSupplier processor,
        java.util.function.BooleanSupplier store) {}
