package dev.sluice.kafka;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.TransactionResult;
import org.apache.kafka.common.requests.WriteTxnMarkersRequest;
import org.apache.kafka.common.requests.WriteTxnMarkersResponse;

/**
 * Writes a transaction's commit marker on partitions of one broker, with Kafka's own {@code WriteTxnMarkers}
 * request (the one a transaction coordinator sends, and {@code Admin#abortTransaction} sends for an abort), over
 * a plain connection to the broker's listener. Kafka's admin API can only abort; {@link HangingTransactions}
 * needs a commit when the coordinator says a transaction committed and some of its partitions never got the
 * marker. Only for the embedded broker: the request is built for this client's Kafka version, and an external
 * cluster with an authorizer would refuse it (it needs {@code ClusterAction}).
 */
final class CommitMarkers {
    private static final int TIMEOUT_MS = 30_000;

    private CommitMarkers() {}

    /**
     * Commits producer {@code producerId}'s open transaction on {@code partitions}, all led by {@code leader};
     * returns each partition's error ({@link Errors#NONE} when the marker was written).
     */
    static Map<TopicPartition, Errors> write(
            Node leader,
            long producerId,
            short producerEpoch,
            int coordinatorEpoch,
            short transactionVersion,
            List<TopicPartition> partitions) {
        var marker = new WriteTxnMarkersRequest.TxnMarkerEntry(
                producerId, producerEpoch, coordinatorEpoch, TransactionResult.COMMIT, partitions, transactionVersion);
        WriteTxnMarkersRequest request =
                new WriteTxnMarkersRequest.Builder(List.of(marker)).build(ApiKeys.WRITE_TXN_MARKERS.latestVersion());
        WriteTxnMarkersResponse response = (WriteTxnMarkersResponse) exchange(leader, request);
        Map<TopicPartition, Errors> errors = response.errorsByProducerId().get(producerId);
        if (errors == null) {
            throw new IllegalStateException("the broker's WriteTxnMarkers answer has no result for producer "
                    + producerId + ": " + response.errorsByProducerId());
        }
        return errors;
    }

    /** Sends one request to {@code broker} over a new plain connection and returns its answer. */
    static AbstractResponse exchange(Node broker, AbstractRequest request) {
        RequestHeader header = new RequestHeader(request.apiKey(), request.version(), "sluice-hanging-transactions", 1);
        ByteBuffer out = request.serializeWithHeader(header);
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(broker.host(), broker.port()), TIMEOUT_MS);
            socket.setSoTimeout(TIMEOUT_MS);
            DataOutputStream o = new DataOutputStream(socket.getOutputStream());
            byte[] bytes = new byte[out.remaining()];
            out.get(bytes);
            o.writeInt(bytes.length);
            o.write(bytes);
            o.flush();
            DataInputStream in = new DataInputStream(socket.getInputStream());
            byte[] answer = new byte[in.readInt()];
            in.readFully(answer);
            return AbstractResponse.parseResponse(ByteBuffer.wrap(answer), header);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot send " + request.apiKey() + " to broker " + broker, e);
        }
    }
}
