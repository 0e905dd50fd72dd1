package io.kvrelay.ingest.position;

import io.kvrelay.ingest.config.KafkaSinkConfig;
import io.kvrelay.ingest.config.PodConfig;
import io.kvrelay.schemas.PodKey;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Recovers, at the bridge's start, each worker's last batch in the event topic, so the bridge resumes where it
 * stopped instead of treating every worker as new (whose first batch would look like a gap, and the reset it causes
 * would purge a cache that is intact).
 *
 * <p>Reads only the partitions the workers' pod ids map to (the producer's default partitioner; every partition when
 * the producer settings replace it), backwards from their end in growing steps (see {@link TailScan}), with
 * a consumer that has the producer's client settings (security, timeouts), no group, and the default isolation level.
 * What the last record of a worker means: see {@link WorkerTails} and {@link RecoveredPositions}.
 *
 * <p>Bounds: Kafka may stay silent for {@code kafka.recovery.timeoutMs} (then {@link PositionRecoveryException}: the
 * bridge must not start); the scan itself stops after {@code maxRecordsPerPartition} records back or
 * {@code maxScanMs}, and reports the workers it did not reach as unresolved.
 *
 * <p>Thread-safe: each call opens and closes its own consumer.
 */
public final class PositionRecovery {
    private static final Logger log = LoggerFactory.getLogger(PositionRecovery.class);
    private static final String HINT = "; fix Kafka access, or start without positions (kafka.recoverPositions: false:"
            + " every worker then starts as new, and its first gap becomes a WorkerReset)";

    private final KafkaSinkConfig sink;
    private final String clientId;
    private final LongSupplier nanoClock;

    /** @param clientId the bridge's instance id; the consumer is {@code <clientId>-position-recovery} */
    public PositionRecovery(KafkaSinkConfig sink, String clientId) {
        this(sink, clientId, System::nanoTime);
    }

    PositionRecovery(KafkaSinkConfig sink, String clientId, LongSupplier nanoClock) {
        this.sink = sink;
        this.clientId = clientId;
        this.nanoClock = nanoClock;
    }

    /** Every rank of these pods. @throws PositionRecoveryException see there: the bridge must not start */
    public RecoveredPositions recover(Collection<PodConfig> pods) {
        return recoverWorkers(WorkerId.of(pods));
    }

    /** @throws PositionRecoveryException see there: the bridge must not start */
    public RecoveredPositions recoverWorkers(Collection<WorkerId> workers) {
        String topic = sink.topics().kvEvents().name();
        long t0 = nanoClock.getAsLong();
        RecoveredPositions out;
        if (workers.isEmpty()) {
            out = new RecoveredPositions(Map.of(), Set.of(), Set.of(), Set.of(), stats(topic, 0, 0, 0, 0, false, t0));
        } else {
            try (Consumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProperties(sink, clientId))) {
                out = scan(new KafkaTailSource(consumer, topic, sink.recovery().timeoutMs()), topic, workers, t0);
            } catch (PositionRecoveryException e) {
                throw new PositionRecoveryException("cannot recover positions from " + topic + " at "
                        + sink.bootstrapServers() + ": " + e.getMessage() + HINT, e.getCause());
            } catch (TimeoutException e) {
                throw new PositionRecoveryException("cannot recover positions from " + topic + ": Kafka at "
                        + sink.bootstrapServers() + " did not answer within kafka.recovery.timeoutMs = "
                        + sink.recovery().timeoutMs() + " ms (" + e.getMessage() + ")" + HINT, e);
            } catch (AuthorizationException | AuthenticationException e) {
                throw new PositionRecoveryException("cannot recover positions from " + topic + ": Kafka refuses this"
                        + " client (" + e.getMessage() + "); the bridge's principal needs DESCRIBE and READ on the"
                        + " topic" + HINT, e);
            } catch (KafkaException e) {
                throw new PositionRecoveryException("cannot recover positions from " + topic + ": " + e + HINT, e);
            }
        }
        log(out, workers.size());
        return out;
    }

    RecoveredPositions scan(TailSource source, String topic, Collection<WorkerId> workers, long t0) {
        int partitions = source.partitionCount();
        if (partitions == 0) {
            log.info("position recovery: topic {} does not exist yet, every worker starts as new", topic);
            return new RecoveredPositions(Map.of(), Set.of(), Set.of(), new HashSet<>(workers),
                    stats(topic, 0, 0, 0, 0, false, t0));
        }
        TailScan.Result r = new TailScan(source, sink.recovery(),
                wantedByPartition(workers, partitions, defaultPartitioner(sink)))
                .run(Deadline.after(sink.recovery().maxScanMs(), nanoClock));
        return new RecoveredPositions(r.positions(), r.resetLast(), r.unresolved(), r.notFound(),
                stats(topic, r.partitionsRead(), r.recordsRead(), r.decoded(), r.undecodable(), r.outOfTime(), t0));
    }

    private RecoveredPositions.Stats stats(String topic, int partitions, long read, long decoded, long undecodable,
                                           boolean outOfTime, long t0) {
        return new RecoveredPositions.Stats(topic, partitions, read, decoded, undecodable, outOfTime,
                (nanoClock.getAsLong() - t0) / 1_000_000L);
    }

    private static void log(RecoveredPositions out, int wanted) {
        RecoveredPositions.Stats s = out.stats();
        log.info("position recovery: {} of {} worker(s) recovered ({} reset last, {} not in the log, {} unresolved) "
                        + "from {} partition(s) of {}: {} record(s) read, {} decoded, {} undecodable, in {} ms",
                out.positions().size(), wanted, out.resetLast().size(), out.notFound().size(), out.unresolved().size(),
                s.partitionsRead(), s.topic(), s.recordsRead(), s.recordsDecoded(), s.undecodable(), s.elapsedMillis());
        if (!out.unresolved().isEmpty()) {
            log.warn("position recovery: no record of {} within {}; they start as new (raise it to look further back)",
                    out.unresolved(), s.outOfTime() ? "kafka.recovery.maxScanMs" : "kafka.recovery.maxRecordsPerPartition"
                            + " of their partition's end");
        }
        if (s.undecodable() > 0) {
            log.warn("position recovery: {} record(s) of configured pods could not be decoded and were skipped "
                    + "(written by a newer schema, or corrupt); their workers resume from an older batch", s.undecodable());
        }
    }

    /**
     * The partition the producer sends this pod's records to, with its default partitioner (murmur2 of the key bytes,
     * as {@link BuiltInPartitioner#partitionForKey} computes it).
     */
    public static int partitionOf(PodKey pod, int partitions) {
        return BuiltInPartitioner.partitionForKey(pod.toKafkaKey(), partitions);
    }

    /** False when {@code kafka.producer} replaces the partitioner or ignores keys: then every partition is read. */
    static boolean defaultPartitioner(KafkaSinkConfig sink) {
        Map<String, String> p = sink.producer();
        return !p.containsKey(ProducerConfig.PARTITIONER_CLASS_CONFIG)
                && !"true".equalsIgnoreCase(p.get(ProducerConfig.PARTITIONER_IGNORE_KEYS_CONFIG));
    }

    static Map<Integer, List<WorkerId>> wantedByPartition(Collection<WorkerId> workers, int partitions,
                                                          boolean defaultPartitioner) {
        Map<Integer, List<WorkerId>> out = new TreeMap<>();
        for (WorkerId w : workers) {
            if (defaultPartitioner) {
                out.computeIfAbsent(partitionOf(w.pod(), partitions), p -> new ArrayList<>()).add(w);
            } else {
                for (int p = 0; p < partitions; p++) {
                    out.computeIfAbsent(p, k -> new ArrayList<>()).add(w);
                }
            }
        }
        return out;
    }

    /**
     * The consumer: the client settings of {@code kafka.producer} that a consumer also has (security, timeouts,
     * buffers), then the recovery's own: no group, no commits, no topic creation, byte deserializers, and the default
     * isolation level (the bridge writes no transactions).
     */
    public static Properties consumerProperties(KafkaSinkConfig sink, String clientId) {
        return sink.clients().consumerProperties(clientId + "-position-recovery", Map.of(), Map.of(
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
                // The scan seeks explicitly; a chunk deleted by retention meanwhile reads from what is left.
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted",
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, String.valueOf(Math.max(500, sink.recovery().chunkRecords())),
                // A partition whose chunk is done may still be in a fetch at the log's end: do not let it hold the
                // others.
                ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "100"));
    }
}
