package dev.sluice.registry;

import dev.sluice.kafka.ClientDefaults;
import dev.sluice.kafka.KafkaTopics;
import dev.sluice.schema.compat.Compatibility;
import dev.sluice.schema.compat.CompatibilityLevel;
import dev.sluice.schema.compat.InvalidSchemaException;
import dev.sluice.schema.compat.ParsedSchema;
import dev.sluice.schema.compat.SchemaReference;
import dev.sluice.schema.compat.SchemaType;
import dev.sluice.schema.compat.Schemas;
import dev.sluice.schema.compat.Versioned;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A schema registry whose only storage is a compacted, single-partition Kafka topic ({@code _schemas} by
 * default), as in the Confluent Schema Registry.
 *
 * <p>Every instance tails the topic and applies its records, in order, to an in-memory {@link RegistryState};
 * reads are served from that state. Writes are serialized across instances by Kafka's transactional fencing:
 * a writer opens a transactional producer under one shared {@code transactional.id} (which fences any other
 * instance's writer and aborts its open transaction), catches up with the topic to its last committed offset,
 * decides (ids, versions, compatibility) on that state, writes and commits. A writer that was fenced in
 * between retries from the start. So ids and versions are allocated exactly as if one instance did all
 * writes, and several Sluice instances pointed at one Kafka agree on them; no leader election and no other
 * database is needed.
 */
public final class SchemaRegistry implements SchemaLookup, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SchemaRegistry.class);
    public static final String DEFAULT_TOPIC = "_schemas";
    public static final CompatibilityLevel DEFAULT_LEVEL = CompatibilityLevel.BACKWARD;

    private final String bootstrap;
    private final String topic;
    private final TopicPartition partition;
    private final Duration timeout;
    private final Admin admin;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Thread reader;
    private final RegistryState state = new RegistryState(DEFAULT_LEVEL);
    private final Map<Integer, ParsedSchema> parsed = new ConcurrentHashMap<>();
    private final Object writeLock = new Object();
    private volatile boolean running = true;
    private volatile Throwable readerFailure;
    /** Next offset the reader will apply; guarded by {@code state}. */
    private long position;

    private SchemaRegistry(String bootstrap, String topic, Duration timeout) {
        this.bootstrap = bootstrap;
        this.topic = topic;
        this.partition = new TopicPartition(topic, 0);
        this.timeout = timeout;
        this.admin = Admin.create(ClientDefaults.admin(bootstrap));
        KafkaTopics.ensureCompactedTopic(admin, topic, 1);
        Map<String, Object> c = ClientDefaults.consumer(bootstrap, "sluice-registry-reader");
        c.remove("group.id");
        this.consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        consumer.assign(List.of(partition));
        consumer.seekToBeginning(List.of(partition));
        this.reader = new Thread(this::readLoop, "sluice-registry-reader-" + topic);
        reader.setDaemon(true);
    }

    /** Starts a registry on {@code topic} (created when missing) and waits until it has read the topic. */
    public static SchemaRegistry start(String bootstrap, String topic, Duration timeout) {
        SchemaRegistry r = new SchemaRegistry(bootstrap, topic, timeout);
        r.reader.start();
        r.awaitApplied(r.committedEnd());
        log.info(
                "Schema registry on topic {}: {} subjects",
                topic,
                r.subjects(false).size());
        return r;
    }

    public String topic() {
        return topic;
    }

    // ------------------------------------------------------------------ reading the topic

    private void readLoop() {
        try {
            while (running) {
                var records = consumer.poll(Duration.ofMillis(200));
                synchronized (state) {
                    for (ConsumerRecord<byte[], byte[]> r : records) {
                        try {
                            state.apply(r.key(), r.value(), this::canonical);
                        } catch (RuntimeException e) {
                            log.warn("Skipping unreadable record at {}@{}: {}", topic, r.offset(), e.getMessage());
                        }
                    }
                    position = consumer.position(partition);
                    state.notifyAll();
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (Throwable t) {
            readerFailure = t;
            log.error("Schema registry reader stopped", t);
            synchronized (state) {
                state.notifyAll();
            }
        } finally {
            consumer.close();
        }
    }

    private String canonical(SchemaType type, String text, List<SchemaReference> refs) {
        return Schemas.parse(type, text, refs, this::resolveReference).canonical();
    }

    /** The last committed offset of the topic (its last stable offset). */
    private long committedEnd() {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                return committedEndOnce();
            } catch (RegistryException e) {
                // a topic created a moment ago may not be in every broker's metadata yet
                boolean retriable = e.getCause() instanceof ExecutionException ee
                        && ee.getCause() instanceof org.apache.kafka.common.errors.RetriableException;
                if (!retriable || System.nanoTime() > deadline) {
                    throw e;
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    private long committedEndOnce() {
        try {
            return admin.listOffsets(
                            Map.of(partition, OffsetSpec.latest()),
                            new ListOffsetsOptions(IsolationLevel.READ_COMMITTED))
                    .partitionResult(partition)
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS)
                    .offset();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw RegistryException.timeout("interrupted while reading the end of " + topic);
        } catch (ExecutionException | TimeoutException e) {
            throw RegistryException.store("cannot read the end of " + topic + ": " + e.getMessage(), e);
        }
    }

    private void awaitApplied(long offset) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (state) {
            while (position < offset) {
                if (readerFailure != null) {
                    throw RegistryException.store("the registry reader stopped", readerFailure);
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw RegistryException.timeout("reading " + topic + " up to offset " + offset);
                }
                try {
                    state.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw RegistryException.timeout("interrupted");
                }
            }
        }
    }

    // ------------------------------------------------------------------ writing

    /** What a write decides on the caught-up state: the records to append and the answer to give. */
    private record Plan<T>(List<ProducerRecord<byte[], byte[]>> records, T result) {}

    private interface Planner<T> {
        Plan<T> plan(RegistryState s);
    }

    private <T> T write(Planner<T> planner) {
        synchronized (writeLock) {
            RuntimeException last = null;
            for (int attempt = 0; attempt < 10; attempt++) {
                Map<String, Object> cfg = new HashMap<>(ClientDefaults.producer(bootstrap));
                cfg.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "sluice-schema-registry-" + topic);
                cfg.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) timeout.toMillis());
                cfg.put(ProducerConfig.LINGER_MS_CONFIG, 0);
                try (KafkaProducer<byte[], byte[]> p =
                        new KafkaProducer<>(cfg, new ByteArraySerializer(), new ByteArraySerializer())) {
                    p.initTransactions(); // fences every other writer; their open transactions are aborted
                    awaitApplied(committedEnd());
                    Plan<T> plan;
                    synchronized (state) {
                        plan = planner.plan(state);
                    }
                    if (plan.records().isEmpty()) {
                        return plan.result();
                    }
                    p.beginTransaction();
                    List<Future<RecordMetadata>> sent = new ArrayList<>();
                    for (ProducerRecord<byte[], byte[]> r : plan.records()) {
                        sent.add(p.send(r));
                    }
                    p.commitTransaction();
                    long lastOffset = sent.get(sent.size() - 1).get().offset();
                    // the commit marker follows the last record; the reader's position passes it
                    awaitApplied(lastOffset + 1);
                    return plan.result();
                } catch (ProducerFencedException | InvalidProducerEpochException e) {
                    last = RegistryException.store("another registry instance wrote at the same time", e);
                    log.debug("Registry write fenced by another instance; retrying");
                } catch (RegistryException e) {
                    throw e;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw RegistryException.timeout("interrupted while writing to " + topic);
                } catch (ExecutionException | org.apache.kafka.common.KafkaException e) {
                    // e.g. the coordinator's "unexpected error" when a commit races another instance's fencing.
                    // Retrying is safe: the next attempt fences the old transaction and plans on the caught-up
                    // state, so a write that did commit is found there and not made twice.
                    last = RegistryException.store("cannot write to " + topic + ": " + e.getMessage(), e);
                    log.debug("Registry write failed ({}); retrying", e.toString());
                }
                try {
                    // jitter, so two instances that keep fencing each other fall out of step
                    Thread.sleep(
                            java.util.concurrent.ThreadLocalRandom.current().nextLong(10, 50L * (attempt + 1)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw RegistryException.timeout("interrupted while writing to " + topic);
                }
            }
            throw last;
        }
    }

    private ProducerRecord<byte[], byte[]> record(byte[] key, byte[] value) {
        return new ProducerRecord<>(topic, 0, key, value);
    }

    // ------------------------------------------------------------------ parsing

    private ParsedSchema resolveReference(SchemaReference ref) {
        SubjectVersion v;
        synchronized (state) {
            v = state.version(ref.subject(), ref.version()).orElse(null);
        }
        if (v == null) {
            throw new InvalidSchemaException("reference '" + ref.name() + "' names subject '" + ref.subject()
                    + "' version " + ref.version() + ", which does not exist");
        }
        return parsedById(v.id());
    }

    private ParsedSchema parsedById(int id) {
        ParsedSchema p = parsed.get(id);
        if (p != null) {
            return p;
        }
        StoredSchema s;
        synchronized (state) {
            s = state.schema(id).orElseThrow(() -> RegistryException.schemaNotFound("id " + id));
        }
        p = Schemas.parse(s.type(), s.text(), s.references(), this::resolveReference);
        parsed.put(id, p);
        return p;
    }

    /** A registered schema, parsed, by its global id. */
    @Override
    public ParsedSchema byId(int id) {
        return parsedById(id);
    }

    private ParsedSchema parse(SchemaType type, String text, List<SchemaReference> refs) {
        if (text == null || text.isBlank()) {
            throw RegistryException.invalidSchema("the request has no schema");
        }
        try {
            return Schemas.parse(type, text, refs, this::resolveReference);
        } catch (InvalidSchemaException e) {
            throw RegistryException.invalidSchema(e.getMessage());
        }
    }

    // ------------------------------------------------------------------ the API

    public List<String> subjects(boolean includeDeleted) {
        synchronized (state) {
            return state.subjects(includeDeleted);
        }
    }

    public List<Integer> versions(String subject, boolean includeDeleted) {
        synchronized (state) {
            List<SubjectVersion> vs = state.versions(subject, includeDeleted);
            if (vs.isEmpty()) {
                throw RegistryException.subjectNotFound(subject);
            }
            return vs.stream().map(SubjectVersion::version).toList();
        }
    }

    /** A subject version with its schema, as {@code GET /subjects/{s}/versions/{v}} answers it. */
    public record VersionedSchema(String subject, int version, int id, StoredSchema schema, boolean deleted) {}

    /** Resolves {@code spec} ({@code latest}, {@code -1} or a number) to a version of {@code subject}. */
    public VersionedSchema version(String subject, String spec, boolean includeDeleted) {
        synchronized (state) {
            return resolve(state, subject, spec, includeDeleted);
        }
    }

    private static VersionedSchema resolve(RegistryState s, String subject, String spec, boolean includeDeleted) {
        int wanted = parseVersion(spec);
        List<SubjectVersion> vs = s.versions(subject, includeDeleted);
        if (vs.isEmpty()) {
            throw RegistryException.subjectNotFound(subject);
        }
        SubjectVersion v;
        if (wanted == -1) {
            v = vs.get(vs.size() - 1);
        } else {
            v = vs.stream()
                    .filter(x -> x.version() == wanted)
                    .findFirst()
                    .orElseThrow(() -> RegistryException.versionNotFound(subject, wanted));
        }
        StoredSchema schema = s.schema(v.id()).orElseThrow(() -> RegistryException.schemaNotFound("id " + v.id()));
        return new VersionedSchema(subject, v.version(), v.id(), schema, v.deleted());
    }

    /** {@code latest} and {@code -1} are -1; otherwise a number in [1, 2^31-1]. */
    static int parseVersion(String spec) {
        if ("latest".equals(spec) || "-1".equals(spec)) {
            return -1;
        }
        try {
            int v = Integer.parseInt(spec);
            if (v >= 1) {
                return v;
            }
        } catch (NumberFormatException e) {
            // falls through
        }
        throw RegistryException.invalidVersion(spec);
    }

    public StoredSchema schema(int id) {
        synchronized (state) {
            return state.schema(id).orElseThrow(() -> RegistryException.schemaNotFound("id " + id));
        }
    }

    public List<SubjectVersion> usesOf(int id, boolean includeDeleted) {
        synchronized (state) {
            if (state.schema(id).isEmpty()) {
                throw RegistryException.schemaNotFound("id " + id);
            }
            return state.usesOf(id, includeDeleted);
        }
    }

    /**
     * Registers a schema under a subject and returns its global id. The same schema (same canonical form,
     * type and references) registered again under the subject returns the id it has, without a new version;
     * a schema already known under another subject keeps its id. A change that breaks the subject's
     * compatibility level is refused (409) with what breaks and where.
     */
    public int register(String subject, SchemaType type, String text, List<SchemaReference> refs) {
        checkSubjectName(subject);
        ParsedSchema candidate = parse(type, text, refs);
        return write(s -> {
            for (SubjectVersion v : s.versions(subject, false)) {
                StoredSchema existing = s.schema(v.id()).orElseThrow();
                if (existing.contentKey().equals(StoredSchema.contentKey(type, candidate.canonical(), refs))) {
                    return new Plan<>(List.of(), v.id());
                }
            }
            List<String> problems = compatibilityProblems(s, subject, candidate, null);
            if (!problems.isEmpty()) {
                throw RegistryException.incompatible(subject, problems);
            }
            int id = s.idOf(type, candidate.canonical(), refs).orElse(s.nextId());
            int version = s.lastVersionNumber(subject) + 1;
            SubjectVersion sv = new SubjectVersion(subject, version, id, false);
            StoredSchema stored = new StoredSchema(id, type, text, candidate.canonical(), List.copyOf(refs));
            return new Plan<>(
                    List.of(record(RegistryState.schemaKey(subject, version), RegistryState.schemaValue(sv, stored))),
                    id);
        });
    }

    private static void checkSubjectName(String subject) {
        if (subject == null || subject.isBlank() || subject.chars().anyMatch(Character::isISOControl)) {
            throw new RegistryException(422, 42208, "Invalid subject name '" + subject + "'.");
        }
    }

    /**
     * Problems of {@code candidate} against the subject's versions under its level, or, when {@code against}
     * is set, against that one version (with the level's direction).
     */
    private List<String> compatibilityProblems(
            RegistryState s, String subject, ParsedSchema candidate, SubjectVersion against) {
        CompatibilityLevel level = s.effectiveLevel(subject);
        List<Versioned> previous = new ArrayList<>();
        List<SubjectVersion> vs = against == null ? s.versions(subject, false) : List.of(against);
        for (SubjectVersion v : vs) {
            previous.add(new Versioned(v.version(), parsedById(v.id())));
        }
        return Compatibility.checkVersioned(level, candidate, previous);
    }

    /** Finds the version of {@code subject} that holds this schema ({@code POST /subjects/{s}}). */
    public VersionedSchema lookup(
            String subject, SchemaType type, String text, List<SchemaReference> refs, boolean includeDeleted) {
        synchronized (state) {
            if (state.versions(subject, includeDeleted).isEmpty()) {
                throw RegistryException.subjectNotFound(subject);
            }
        }
        ParsedSchema candidate = parse(type, text, refs);
        String key = StoredSchema.contentKey(type, candidate.canonical(), refs);
        synchronized (state) {
            for (SubjectVersion v : state.versions(subject, includeDeleted)) {
                StoredSchema st = state.schema(v.id()).orElseThrow();
                if (st.contentKey().equals(key)) {
                    return new VersionedSchema(subject, v.version(), v.id(), st, v.deleted());
                }
            }
        }
        throw RegistryException.schemaNotFound("no version of subject '" + subject + "' has this schema");
    }

    /** Compatibility of a schema with a subject, as {@code POST /compatibility/...} answers it. */
    public List<String> testCompatibility(
            String subject, String versionSpec, SchemaType type, String text, List<SchemaReference> refs) {
        ParsedSchema candidate = parse(type, text, refs);
        synchronized (state) {
            if (versionSpec == null || "latest".equals(versionSpec) || "-1".equals(versionSpec)) {
                if (versionSpec != null && state.versions(subject, false).isEmpty()) {
                    throw RegistryException.subjectNotFound(subject);
                }
                return compatibilityProblems(state, subject, candidate, null);
            }
            VersionedSchema v = resolve(state, subject, versionSpec, false);
            return compatibilityProblems(
                    state, subject, candidate, new SubjectVersion(subject, v.version(), v.id(), false));
        }
    }

    /** Deletes one version, softly or (after a soft delete) permanently; returns the version number. */
    public int deleteVersion(String subject, String versionSpec, boolean permanent) {
        return write(s -> {
            VersionedSchema v = resolve(s, subject, versionSpec, true);
            if (!permanent && v.deleted()) {
                throw RegistryException.versionSoftDeleted(subject, v.version());
            }
            if (permanent && !v.deleted()) {
                throw RegistryException.versionNotSoftDeleted(subject, v.version());
            }
            List<SubjectVersion> refs = s.referrers(subject, v.version());
            if (!refs.isEmpty()) {
                throw RegistryException.referenceExists(subject, v.version(), describe(refs));
            }
            byte[] key = RegistryState.schemaKey(subject, v.version());
            byte[] value = permanent
                    ? null
                    : RegistryState.schemaValue(new SubjectVersion(subject, v.version(), v.id(), true), v.schema());
            return new Plan<>(List.of(record(key, value)), v.version());
        });
    }

    /** Deletes every version of a subject; returns the version numbers deleted. */
    public List<Integer> deleteSubject(String subject, boolean permanent) {
        return write(s -> {
            List<SubjectVersion> all = s.versions(subject, true);
            if (all.isEmpty()) {
                throw RegistryException.subjectNotFound(subject);
            }
            List<SubjectVersion> live = all.stream().filter(v -> !v.deleted()).toList();
            if (!permanent && live.isEmpty()) {
                throw RegistryException.subjectSoftDeleted(subject);
            }
            if (permanent && !live.isEmpty()) {
                throw RegistryException.subjectNotSoftDeleted(subject);
            }
            List<ProducerRecord<byte[], byte[]>> recs = new ArrayList<>();
            List<Integer> deleted = new ArrayList<>();
            for (SubjectVersion v : permanent ? all : live) {
                List<SubjectVersion> refs = s.referrers(subject, v.version()).stream()
                        .filter(r -> !r.subject().equals(subject))
                        .toList();
                if (!refs.isEmpty()) {
                    throw RegistryException.referenceExists(subject, v.version(), describe(refs));
                }
                StoredSchema st = s.schema(v.id()).orElseThrow();
                recs.add(record(
                        RegistryState.schemaKey(subject, v.version()),
                        permanent
                                ? null
                                : RegistryState.schemaValue(
                                        new SubjectVersion(subject, v.version(), v.id(), true), st)));
                deleted.add(v.version());
            }
            if (permanent && s.subjectLevel(subject).isPresent()) {
                recs.add(record(RegistryState.configKey(subject), null));
            }
            return new Plan<>(recs, deleted);
        });
    }

    private static String describe(List<SubjectVersion> refs) {
        return refs.stream()
                .map(r -> "subject '" + r.subject() + "' version " + r.version())
                .reduce((a, b) -> a + ", " + b)
                .orElse("");
    }

    public CompatibilityLevel globalLevel() {
        synchronized (state) {
            return state.globalLevel();
        }
    }

    public Optional<CompatibilityLevel> subjectLevel(String subject) {
        synchronized (state) {
            return state.subjectLevel(subject);
        }
    }

    /** Sets the global level ({@code subject} null) or a subject's. */
    public CompatibilityLevel setLevel(String subject, CompatibilityLevel level) {
        return write(s ->
                new Plan<>(List.of(record(RegistryState.configKey(subject), RegistryState.configValue(level))), level));
    }

    /** Removes the global level (back to the default) or a subject's; returns the level it had. */
    public CompatibilityLevel deleteLevel(String subject) {
        return write(s -> {
            if (subject == null) {
                return new Plan<>(List.of(record(RegistryState.configKey(null), null)), s.globalLevel());
            }
            Optional<CompatibilityLevel> had = s.subjectLevel(subject);
            if (had.isEmpty()) {
                if (!s.subjectExists(subject, true)) {
                    throw RegistryException.subjectNotFound(subject);
                }
                throw RegistryException.subjectConfigNotFound(subject);
            }
            return new Plan<>(List.of(record(RegistryState.configKey(subject), null)), had.get());
        });
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            reader.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        admin.close(Duration.ofSeconds(5));
    }
}
