package io.kvrelay.ingest.publish;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Watches that each pod's records of a topic are acknowledged in the order they were sent. An idempotent producer
 * acknowledges a partition's records in order, and all of a pod's records of one topic share a partition, so an
 * acknowledgement that overtakes an earlier record of the same pod and topic is abnormal (across topics it is not:
 * the pod's status and its KV events live in different partitions). It is the signature of KAFKA-15591 (Kafka before 4.5): the earlier
 * batch's first request failed NOT_LEADER_OR_FOLLOWER, a later batch was appended, and the earlier one now retries
 * OUT_OF_ORDER_SEQUENCE_NUMBER forever, which the bridge's unbounded delivery timeout never reports. This turns that
 * silent loss into a counted, logged one. Thread-safe: {@link #sent} on the publisher thread, {@link #done} on the
 * producer's I/O thread, {@link #stuck} from the publisher loop.
 */
final class SendOrderWatch {
    /** One record in flight. */
    static final class Ticket {
        private final Stream key;
        final long sequence;
        final long sentNanos;
        private long overtakenNanos; // 0 = not overtaken
        private boolean reported;

        private Ticket(Stream key, long sequence, long sentNanos) {
            this.key = key;
            this.sequence = sequence;
            this.sentNanos = sentNanos;
        }

        String pod() {
            return java.nio.charset.StandardCharsets.UTF_8.decode(key.key().duplicate()).toString();
        }

        String topic() {
            return key.topic();
        }
    }

    /** One pod's records of one topic: one partition, acknowledged in order. */
    private record Stream(String topic, ByteBuffer key) {
    }

    private final Map<Stream, ArrayDeque<Ticket>> inFlight = new HashMap<>();
    private final List<Ticket> overtaken = new ArrayList<>();
    private long overtakes;

    /** A record of pod {@code key} for {@code topic} was handed to the producer. */
    synchronized Ticket sent(String topic, byte[] key, long sequence, long nowNanos) {
        Stream k = new Stream(topic, ByteBuffer.wrap(key == null ? new byte[0] : key));
        Ticket t = new Ticket(k, sequence, nowNanos);
        inFlight.computeIfAbsent(k, x -> new ArrayDeque<>()).addLast(t);
        return t;
    }

    /**
     * The producer is done with the record: acknowledged, or failed (refused at once while Kafka is away, or for
     * good). Returns true when an acknowledgement overtook earlier records of its pod, which are then marked; a failure
     * overtakes nothing (a record refused while earlier ones wait is normal back-pressure).
     */
    synchronized boolean done(Ticket t, boolean acknowledged, long nowNanos) {
        ArrayDeque<Ticket> q = inFlight.get(t.key);
        if (q == null) {
            return false;
        }
        boolean overtook = false;
        if (q.peekFirst() == t) {
            q.pollFirst();
        } else {
            for (Iterator<Ticket> it = q.iterator(); it.hasNext(); ) {
                Ticket earlier = it.next();
                if (earlier == t) {
                    it.remove();
                    break;
                }
                if (acknowledged && earlier.overtakenNanos == 0) {
                    earlier.overtakenNanos = nowNanos;
                    overtaken.add(earlier);
                    overtook = true;
                }
            }
            overtakes += overtook ? 1 : 0;
        }
        if (q.isEmpty()) {
            inFlight.remove(t.key);
        }
        if (t.overtakenNanos != 0) {
            overtaken.remove(t); // it was late, not lost
        }
        return overtook;
    }

    /** Records overtaken more than {@code graceNanos} ago and still in flight, each returned once. */
    synchronized List<Ticket> stuck(long nowNanos, long graceNanos) {
        List<Ticket> out = new ArrayList<>();
        for (Ticket t : overtaken) {
            if (!t.reported && nowNanos - t.overtakenNanos >= graceNanos) {
                t.reported = true;
                out.add(t);
            }
        }
        return out;
    }

    /** Records overtaken and not done yet. */
    synchronized int overtakenInFlight() {
        return overtaken.size();
    }

    /** Acknowledgements that overtook an earlier record of the same pod, so far. */
    synchronized long overtakes() {
        return overtakes;
    }

    /** Records in flight (sent, not done). */
    synchronized int inFlight() {
        int n = 0;
        for (ArrayDeque<Ticket> q : inFlight.values()) {
            n += q.size();
        }
        return n;
    }
}
