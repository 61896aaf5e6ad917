package dev.sluice.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.AbortTransactionSpec;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.FinalizedVersionRange;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.server.common.TransactionVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds and ends transactions a crash left hanging, as Kafka's {@code kafka-transactions find-hanging} and
 * {@code abort} do, before the processor starts on the embedded broker.
 *
 * <p>A transaction hangs on a partition when the partition holds its records without a commit or abort
 * marker while its coordinator has already finished it (or no longer knows it): nothing will ever write the
 * marker, so read_committed readers stop at it for good, and a Kafka Streams task whose offsets sit in such a
 * transaction on {@code __consumer_offsets} never starts (it waits for stable offsets). Seen with Kafka 4.3.1
 * after kill -9 between a commit's prepare and its markers: when the restarted node's broker is fenced, the
 * coordinator takes the transaction's partitions for deleted, skips their markers, and can record the commit
 * complete (docs/architecture.md).
 *
 * <p>When the coordinator says this very transaction committed, the missing marker is a commit, written with
 * {@link CommitMarkers}. Otherwise ending it with an abort marker is safe when the transaction changed nothing
 * else. Under transactions v2 an end marker bumps the producer epoch, so a partition that received this
 * transaction's marker shows the producer at a later epoch than the hanging records'; under v0 and v1 the
 * epoch stays, so any other partition showing the producer at the same or a later epoch with no transaction
 * open may have received it. When one does and the coordinator no longer says how the transaction ended, its
 * outputs may be committed and its offsets would have to be too; such a transaction is reported and left.
 */
public final class HangingTransactions {
    private static final Logger LOG = LoggerFactory.getLogger(HangingTransactions.class);
    private static final Set<TransactionState> SETTLING = EnumSet.of(
            TransactionState.PREPARE_COMMIT, TransactionState.PREPARE_ABORT, TransactionState.PREPARE_EPOCH_FENCE);

    private HangingTransactions() {}

    /** What was found and done, one line per hanging transaction and partition. */
    public record Outcome(List<String> committed, List<String> aborted, List<String> leftHanging) {}

    /**
     * Waits (up to {@code settle}) until no coordinator is still writing markers, then ends every hanging
     * transaction whose outcome is known: with a commit marker when its coordinator says it committed, with an
     * abort marker when that is safe; the rest are logged and left.
     */
    public static Outcome resolve(Admin admin, Duration settle) throws InterruptedException {
        try {
            awaitSettled(admin, settle);
            short transactionVersion = transactionVersion(admin);
            boolean epochBumpPerTransaction = transactionVersion >= 2;
            Map<TopicPartition, Node> leaders = new HashMap<>();
            Map<TopicPartition, List<ProducerState>> producers = new HashMap<>();
            admin.describeProducers(allPartitions(admin, leaders))
                    .all()
                    .get(30, TimeUnit.SECONDS)
                    .forEach((tp, state) -> producers.put(tp, state.activeProducers()));
            Map<Long, TransactionListing> byProducer = new HashMap<>();
            for (TransactionListing t : admin.listTransactions().all().get(30, TimeUnit.SECONDS)) {
                byProducer.put(t.producerId(), t);
            }
            Map<String, TransactionDescription> described = new HashMap<>();
            List<String> committed = new ArrayList<>();
            List<String> aborted = new ArrayList<>();
            List<String> left = new ArrayList<>();
            for (Map.Entry<TopicPartition, List<ProducerState>> e : producers.entrySet()) {
                for (ProducerState p : e.getValue()) {
                    if (p.currentTransactionStartOffset().isEmpty()) {
                        continue;
                    }
                    TransactionListing t = byProducer.get(p.producerId());
                    TransactionState state = t == null ? null : t.state();
                    if (state == TransactionState.ONGOING || (state != null && SETTLING.contains(state))) {
                        continue; // a live transaction: its producer or its coordinator ends it
                    }
                    String what = e.getKey() + " producer " + p.producerId() + " epoch " + p.producerEpoch()
                            + " from offset "
                            + p.currentTransactionStartOffset().getAsLong() + " ("
                            + (t == null ? "unknown to its coordinator" : t.transactionalId() + ", " + state) + ")";
                    TransactionDescription d = null;
                    if (state == TransactionState.COMPLETE_COMMIT) {
                        d = described.get(t.transactionalId());
                        if (d == null) {
                            d = admin.describeTransactions(List.of(t.transactionalId()))
                                    .description(t.transactionalId())
                                    .get(30, TimeUnit.SECONDS);
                            described.put(t.transactionalId(), d);
                        }
                    }
                    if (d != null
                            && d.producerId() == p.producerId()
                            && d.producerEpoch() == p.producerEpoch() + (epochBumpPerTransaction ? 1 : 0)) {
                        // the coordinator finished this very transaction as a commit: the marker is a commit
                        Errors result = CommitMarkers.write(
                                        leaders.get(e.getKey()),
                                        p.producerId(),
                                        (short) d.producerEpoch(),
                                        p.coordinatorEpoch().orElse(0),
                                        transactionVersion,
                                        List.of(e.getKey()))
                                .get(e.getKey());
                        if (result == Errors.NONE) {
                            committed.add(what);
                        } else {
                            left.add(what + ": writing its commit marker failed with " + result);
                        }
                        continue;
                    }
                    List<TopicPartition> endedElsewhere =
                            endedElsewhere(producers, e.getKey(), p, epochBumpPerTransaction);
                    if (state != TransactionState.COMPLETE_ABORT && !endedElsewhere.isEmpty()) {
                        left.add(what + ": its end marker may have reached " + endedElsewhere
                                + "; if that was a commit it must be committed here too, and its coordinator"
                                + " no longer says how it ended");
                        continue;
                    }
                    int coordinatorEpoch = p.coordinatorEpoch().orElse(0);
                    short markerEpoch = (short) (p.producerEpoch() + 1);
                    admin.abortTransaction(
                                    new AbortTransactionSpec(e.getKey(), p.producerId(), markerEpoch, coordinatorEpoch))
                            .all()
                            .get(30, TimeUnit.SECONDS);
                    aborted.add(what);
                }
            }
            committed.forEach(c -> LOG.warn("committed a transaction a crash left without its marker: {}", c));
            aborted.forEach(a -> LOG.warn("aborted a transaction a crash left hanging: {}", a));
            left.forEach(l -> LOG.error("a transaction a crash left hanging blocks its readers: {}", l));
            return new Outcome(committed, aborted, left);
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("could not look for hanging transactions: {}", e.toString());
            return new Outcome(List.of(), List.of(), List.of());
        }
    }

    /**
     * Partitions other than {@code here} that may have received the hanging transaction's end marker: the
     * producer shows no transaction open there, at the epoch the marker would have left (later under
     * transactions v2, where commit and abort bump it; the same or later before v2) or a later one.
     */
    static List<TopicPartition> endedElsewhere(
            Map<TopicPartition, List<ProducerState>> producers,
            TopicPartition here,
            ProducerState hanging,
            boolean epochBumpPerTransaction) {
        int leastEpoch = hanging.producerEpoch() + (epochBumpPerTransaction ? 1 : 0);
        List<TopicPartition> out = new ArrayList<>();
        producers.forEach((tp, states) -> {
            for (ProducerState s : states) {
                if (!tp.equals(here)
                        && s.producerId() == hanging.producerId()
                        && s.producerEpoch() >= leastEpoch
                        && s.currentTransactionStartOffset().isEmpty()) {
                    out.add(tp);
                }
            }
        });
        return out;
    }

    /** The cluster's finalized {@code transaction.version} (0 when not finalized). */
    private static short transactionVersion(Admin admin)
            throws InterruptedException, ExecutionException, TimeoutException {
        FinalizedVersionRange tv = admin.describeFeatures()
                .featureMetadata()
                .get(30, TimeUnit.SECONDS)
                .finalizedFeatures()
                .get(TransactionVersion.FEATURE_NAME);
        return tv == null ? 0 : tv.maxVersionLevel();
    }

    private static void awaitSettled(Admin admin, Duration settle)
            throws InterruptedException, ExecutionException, TimeoutException {
        long deadline = System.nanoTime() + settle.toNanos();
        while (System.nanoTime() < deadline) {
            boolean settling = admin.listTransactions().all().get(30, TimeUnit.SECONDS).stream()
                    .anyMatch(t -> SETTLING.contains(t.state()));
            if (!settling) {
                return;
            }
            Thread.sleep(200);
        }
    }

    /** Every partition of the cluster, internal ones included; fills {@code leaders} with each one's leader. */
    private static List<TopicPartition> allPartitions(Admin admin, Map<TopicPartition, Node> leaders)
            throws InterruptedException, ExecutionException, TimeoutException {
        Set<String> topics = admin.listTopics(new ListTopicsOptions().listInternal(true))
                .names()
                .get(30, TimeUnit.SECONDS);
        List<TopicPartition> out = new ArrayList<>();
        for (TopicDescription d : admin.describeTopics(topics)
                .allTopicNames()
                .get(30, TimeUnit.SECONDS)
                .values()) {
            d.partitions().forEach(p -> {
                TopicPartition tp = new TopicPartition(d.name(), p.partition());
                out.add(tp);
                leaders.put(tp, p.leader());
            });
        }
        return out;
    }
}
