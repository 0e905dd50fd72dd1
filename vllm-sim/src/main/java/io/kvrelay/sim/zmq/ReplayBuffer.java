package io.kvrelay.sim.zmq;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

/**
 * vLLM's {@code deque(maxlen=buffer_steps)} of (seq, payload), shared by the publishing thread (append) and the replay
 * thread (read). Seqs in the buffer are always consecutive, so a ring of payloads plus the first seq is enough. One
 * uncontended monitor per append keeps publishing cheap; the replay thread copies references out and sends unlocked.
 * The buffer also knows which incarnation (publisher id) its entries belong to, so a replay read races no restart.
 */
final class ReplayBuffer {
    private final byte[][] ring;
    private UUID publisherId;
    private long firstSeq;
    private int head;
    private int size;

    ReplayBuffer(int capacity, UUID publisherId) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("replay buffer capacity must be > 0, got " + capacity);
        }
        this.ring = new byte[capacity][];
        this.publisherId = publisherId;
    }

    synchronized void append(long seq, byte[] payload) {
        if (size > 0 && seq != firstSeq + size) {
            // A seq that does not follow on means the publisher restarted: the old entries belong to another epoch.
            clearLocked();
        }
        if (size == 0) {
            firstSeq = seq;
        }
        if (size == ring.length) {
            ring[head] = null;
            head = (head + 1) % ring.length;
            firstSeq++;
            size--;
        }
        ring[(head + size) % ring.length] = payload;
        size++;
    }

    synchronized void clear() {
        clearLocked();
    }

    /** Empties the buffer for a new incarnation of the publisher. */
    synchronized void reset(UUID newPublisherId) {
        clearLocked();
        publisherId = newPublisherId;
    }

    /** Every buffered entry with {@code seq >= start} (unsigned comparison, as vLLM reads the request). */
    List<Entry> from(long start) {
        return slice(start).entries();
    }

    /** {@link #from} together with the publisher id the entries were published under. */
    synchronized Slice slice(long start) {
        List<Entry> out = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            long seq = firstSeq + i;
            if (Long.compareUnsigned(seq, start) >= 0) {
                out.add(new Entry(seq, ring[(head + i) % ring.length]));
            }
        }
        return new Slice(publisherId, out);
    }

    synchronized int size() {
        return size;
    }

    /** The oldest buffered seq, or -1 when empty. */
    synchronized long oldestSeq() {
        return size == 0 ? -1 : firstSeq;
    }

    int capacity() {
        return ring.length;
    }

    private void clearLocked() {
        Arrays.fill(ring, null);
        head = 0;
        size = 0;
    }

    record Entry(long seq, byte[] payload) {
    }

    record Slice(UUID publisherId, List<Entry> entries) {
    }
}
