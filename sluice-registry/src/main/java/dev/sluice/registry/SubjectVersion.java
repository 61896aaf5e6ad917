package dev.sluice.registry;

/** One version of a subject: which schema id it is, and whether it was soft-deleted. */
public record SubjectVersion(String subject, int version, int id, boolean deleted) {}
