package io.kvrelay.stream.topology;

import io.kvrelay.schemas.AvroCodec;
import io.kvrelay.schemas.avro.PodCommand;
import io.kvrelay.schemas.avro.PodStatus;
import io.kvrelay.stream.metrics.StreamMetrics;
import io.kvrelay.stream.store.StoreNames;
import java.io.IOException;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pod-status topic carries two record types, told apart by their schema fingerprint: the bridge's
 * {@code PodStatus} heartbeats and operators' {@code PodCommand}s (drain, undrain). Anything else is counted and
 * logged.
 */
final class PodStatusProcessor implements Processor<Bytes, byte[], Void, Void> {
    private static final Logger log = LoggerFactory.getLogger(PodStatusProcessor.class);

    private final StreamMetrics metrics;
    private final AvroCodec<PodStatus> statuses = AvroCodec.podStatus();
    private final AvroCodec<PodCommand> commands = AvroCodec.podCommands();
    private PodStateUpdater pods;

    PodStatusProcessor(StreamMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        pods = new PodStateUpdater(context.getStateStore(StoreNames.POD_STATE));
    }

    @Override
    public void process(Record<Bytes, byte[]> record) {
        byte[] v = record.value();
        if (v == null) {
            return; // a tombstone: compaction's business, not a state change
        }
        try {
            if (statuses.accepts(v)) {
                pods.status(statuses.decode(v));
                metrics.podStatuses.increment();
                return;
            }
            if (commands.accepts(v)) {
                PodCommand c = commands.decode(v);
                pods.command(c);
                metrics.podCommands.increment();
                log.info("pod {}/{}/{} {} by '{}': {}", c.getNamespace(), c.getService(), c.getPod(),
                        c.getDrained() ? "drained" : "undrained", c.getOperator(), c.getReason());
                return;
            }
            metrics.undecodable.increment();
            log.warn("skipping a pod-status record of unknown schema (fingerprint {}, key {})",
                    Long.toHexString(AvroCodec.fingerprintOf(v)), record.key());
        } catch (IOException e) {
            metrics.undecodable.increment();
            log.warn("skipping an unreadable pod-status record (key {}): {}", record.key(), e.getMessage());
        }
    }
}
