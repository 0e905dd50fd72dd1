package io.kvrelay.ingest.position;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * The last batch of a worker that is in Kafka: where the bridge resumes, and what proves the publisher it resumes
 * from is the one that published it (the replayed batch of {@code lastSequence} must have the same digest).
 *
 * @param lastSequence      vLLM's sequence of that batch, >= 0
 * @param payloadDigest     XXH3-64 of its raw msgpack payload; null when it was written before the bridge recorded
 *                          digests (schema v1), and continuity cannot be proven
 * @param topic             the ZeroMQ topic frame it came with (may be empty)
 * @param publishedAtMicros vLLM's timestamp of the batch, or null
 * @param publisherId       the publisher's 16-byte incarnation id, or null when its sequence frames carry none; copied
 *                          in and out, compared by content
 */
public record WorkerPosition(long lastSequence, Long payloadDigest, String topic, Long publishedAtMicros,
                             byte[] publisherId) {
    public static final int PUBLISHER_ID_BYTES = 16;

    public WorkerPosition {
        if (lastSequence < 0) {
            throw new IllegalArgumentException("lastSequence must be >= 0, got " + lastSequence);
        }
        Objects.requireNonNull(topic, "topic");
        if (publisherId != null) {
            if (publisherId.length != PUBLISHER_ID_BYTES) {
                throw new IllegalArgumentException("publisherId must be " + PUBLISHER_ID_BYTES + " bytes, got "
                        + publisherId.length);
            }
            publisherId = publisherId.clone();
        }
    }

    @Override
    public byte[] publisherId() {
        return publisherId == null ? null : publisherId.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WorkerPosition p && lastSequence == p.lastSequence
                && Objects.equals(payloadDigest, p.payloadDigest) && topic.equals(p.topic)
                && Objects.equals(publishedAtMicros, p.publishedAtMicros) && Arrays.equals(publisherId, p.publisherId);
    }

    @Override
    public int hashCode() {
        return Objects.hash(lastSequence, payloadDigest, topic, publishedAtMicros) * 31 + Arrays.hashCode(publisherId);
    }

    @Override
    public String toString() {
        return "WorkerPosition[seq=" + lastSequence
                + ", digest=" + (payloadDigest == null ? "none" : Long.toHexString(payloadDigest))
                + ", topic='" + topic + "', publishedAtMicros=" + publishedAtMicros
                + ", publisherId=" + (publisherId == null ? "none" : HexFormat.of().formatHex(publisherId)) + "]";
    }
}
