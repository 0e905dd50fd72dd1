package io.kvrelay.router.decisions;

import io.kvrelay.schemas.AvroWriter;
import io.kvrelay.schemas.avro.CandidateScore;
import io.kvrelay.schemas.avro.RouteDecision;
import java.util.List;

/**
 * Writes a {@link RouteDecision} in Avro single-object encoding, byte for byte what
 * {@code AvroCodec.routeDecisions().encode} writes (consumers of the route-decisions topic cannot tell them apart), in
 * the style of the bridge's {@code KvEventBatchEncoder}: fields in schema order straight into a reused buffer, block
 * keys without unboxing when they come as Avro's primitive arrays, ASCII strings without an intermediate byte array.
 * Avro's generic writer resolves the schema per field and boxes every block key and score.
 *
 * <p>It follows the field order of {@code RouteDecision.avsc}; {@code RouteDecisionEncoderTest} compares its output
 * with Avro's own on many records of every shape, so a schema change not mirrored here fails the build. Not
 * thread-safe (reuses its buffer): one per thread.
 */
public final class RouteDecisionEncoder {
    private static final byte[] HEADER = AvroWriter.singleObjectHeader(RouteDecision.getClassSchema());

    private final AvroWriter w = new AvroWriter(2048);

    /**
     * @return a new array holding exactly the encoded record
     * @throws NullPointerException when a field the schema does not allow to be null is null (as Avro would refuse it)
     */
    public byte[] encode(RouteDecision d) {
        w.start(HEADER);
        w.string(d.getNamespace());
        w.string(d.getService());
        w.nullableString(d.getUserId());
        w.nullableString(d.getLoraName());
        w.longs(d.getBlockKeys());
        w.nullableString(d.getChosenPod());
        w.string(d.getReason());
        w.bool(d.getSticky());
        w.bool(d.getRedisAvailable());
        w.bool(d.getIndexAvailable());
        List<CandidateScore> candidates = d.getCandidates();
        if (!candidates.isEmpty()) {
            w.varlong(candidates.size());
            for (CandidateScore c : candidates) {
                w.string(c.getPod());
                w.varint(c.getMatched());
                w.varint(c.getGpuMatched());
                w.dbl(c.getCost());
                w.nullableInt(c.getRunning());
                w.nullableInt(c.getWaiting());
                w.nullableDouble(c.getKvCacheUsage());
                w.nullableDouble(c.getQueuedMs());
            }
        }
        w.varlong(0);
        w.varlong(d.getLatencyMicros());
        w.varlong(d.getAtMicros());
        w.string(d.getRouterId());
        w.nullableDouble(d.getPrefillMs());
        return w.toByteArray();
    }
}
