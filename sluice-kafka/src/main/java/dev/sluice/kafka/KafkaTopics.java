package dev.sluice.kafka;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Idempotent topic helpers over {@link Admin}. All calls block until the broker has answered. */
public final class KafkaTopics {

    private static final Logger log = LoggerFactory.getLogger(KafkaTopics.class);

    private KafkaTopics() {}

    /**
     * Creates {@code name} with {@code partitions} partitions and {@code configs} unless it exists. An existing
     * topic is left as it is (a warning is logged when it has fewer partitions than asked for).
     *
     * @return true if this call created the topic
     */
    public static boolean ensureTopic(Admin admin, String name, int partitions, Map<String, String> configs) {
        if (partitions < 1) {
            throw new IllegalArgumentException("topic " + name + ": partitions must be >= 1, got " + partitions);
        }
        NewTopic topic = new NewTopic(name, Optional.of(partitions), Optional.empty()).configs(configs);
        try {
            admin.createTopics(List.of(topic)).all().get();
            log.debug("Created topic {} ({} partitions, {})", name, partitions, configs);
            return true;
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw failure("cannot create topic " + name, e);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaException("interrupted while creating topic " + name, e);
        }
        int existing = partitionCount(admin, name);
        if (existing < partitions) {
            log.warn(
                    "Topic {} exists with {} partitions, fewer than the {} asked for; leaving it unchanged",
                    name,
                    existing,
                    partitions);
        }
        return false;
    }

    /** {@link #ensureTopic} with {@code cleanup.policy=compact} added to {@code configs}. */
    public static boolean ensureCompactedTopic(Admin admin, String name, int partitions, Map<String, String> configs) {
        Map<String, String> c = new LinkedHashMap<>(configs);
        c.put(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
        return ensureTopic(admin, name, partitions, c);
    }

    /** {@link #ensureCompactedTopic(Admin, String, int, Map)} without further configs. */
    public static boolean ensureCompactedTopic(Admin admin, String name, int partitions) {
        return ensureCompactedTopic(admin, name, partitions, Map.of());
    }

    public static boolean exists(Admin admin, String name) {
        try {
            Set<String> names = admin.listTopics().names().get();
            return names.contains(name);
        } catch (ExecutionException e) {
            throw failure("cannot list topics", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaException("interrupted while listing topics", e);
        }
    }

    /** The number of partitions of an existing topic. */
    public static int partitionCount(Admin admin, String name) {
        try {
            TopicDescription d =
                    admin.describeTopics(List.of(name)).allTopicNames().get().get(name);
            return d.partitions().size();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                throw new KafkaException("topic " + name + " does not exist", e.getCause());
            }
            throw failure("cannot describe topic " + name, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaException("interrupted while describing topic " + name, e);
        }
    }

    private static KafkaException failure(String what, ExecutionException e) {
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        return new KafkaException(what + ": " + cause.getMessage(), cause);
    }
}
