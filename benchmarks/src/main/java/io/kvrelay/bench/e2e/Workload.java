package io.kvrelay.bench.e2e;

import io.kvrelay.sim.SimPod;
import io.kvrelay.sim.wire.HashEncoding;
import io.kvrelay.sim.wire.PayloadEncoder;
import io.kvrelay.sim.wire.PayloadLayout;
import io.kvrelay.sim.wire.SimEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.locks.LockSupport;

/**
 * Publishes pre-encoded batches of 4 BlockStored events x 4 blocks x 16 tokens on every pod, one thread per pod,
 * paced to a total target rate. Pre-encoding keeps the simulator's cost out of the measurement of the bridge.
 */
final class Workload {
    private static final int EVENTS = 4;
    private static final int BLOCKS = 4;
    private static final int BLOCK_SIZE = 16;
    private static final int DISTINCT_PAYLOADS = 1024;
    private static final int PACE_EVERY = 64;

    private final List<SimPod> pods;
    private final long total;
    private final long rate;
    private final List<byte[][]> payloads = new ArrayList<>();
    private final java.util.concurrent.atomic.AtomicLong publisherCpuNanos = new java.util.concurrent.atomic.AtomicLong();

    Workload(List<SimPod> pods, PayloadLayout layout, long total, long rate) {
        this.pods = pods;
        this.total = total;
        this.rate = rate;
        for (int p = 0; p < pods.size(); p++) {
            PayloadEncoder enc = new PayloadEncoder(layout, HashEncoding.INT);
            SplittableRandom rnd = new SplittableRandom(p);
            byte[][] set = new byte[DISTINCT_PAYLOADS][];
            for (int i = 0; i < DISTINCT_PAYLOADS; i++) {
                set[i] = enc.encode(1.7575e9 + i, 0, batch(rnd));
            }
            payloads.add(set);
        }
    }

    private static List<SimEvent> batch(SplittableRandom rnd) {
        List<SimEvent> events = new ArrayList<>(EVENTS);
        Long parent = null;
        for (int e = 0; e < EVENTS; e++) {
            long[] hashes = new long[BLOCKS];
            for (int b = 0; b < BLOCKS; b++) {
                hashes[b] = rnd.nextLong(); // uint64 range: half of them take msgpack's 9-byte form, as in vLLM
            }
            int[] tokens = new int[BLOCKS * BLOCK_SIZE];
            for (int t = 0; t < tokens.length; t++) {
                tokens[t] = rnd.nextInt(128_000);
            }
            events.add(SimEvent.Stored.gpu(hashes, parent, tokens, BLOCK_SIZE));
            parent = hashes[BLOCKS - 1];
        }
        return events;
    }

    int blocksPerBatch() {
        return EVENTS * BLOCKS;
    }

    double payloadBytes() {
        return payloads.stream().flatMap(s -> java.util.Arrays.stream(s)).mapToInt(b -> b.length).average().orElse(0);
    }

    void run() throws InterruptedException {
        List<Thread> threads = new ArrayList<>();
        long perPod = total / pods.size();
        long remainder = total % pods.size();
        for (int p = 0; p < pods.size(); p++) {
            SimPod pod = pods.get(p);
            byte[][] set = payloads.get(p);
            long count = perPod + (p < remainder ? 1 : 0);
            double podRate = rate <= 0 ? 0 : (double) rate / pods.size();
            Thread t = new Thread(() -> publish(pod, set, count, podRate), "sim-publisher-" + p);
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
    }

    /** CPU the publishing threads used (they end before the run's CPU is sampled). */
    double publisherCpuSeconds() {
        return publisherCpuNanos.get() / 1e9;
    }

    private void publish(SimPod pod, byte[][] set, long count, double podRate) {
        long start = System.nanoTime();
        for (long i = 0; i < count; i++) {
            pod.publishRaw(0, set[(int) (i % set.length)]);
            if (podRate > 0 && i % PACE_EVERY == 0) {
                long due = start + (long) (i / podRate * 1e9);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
            }
        }
        publisherCpuNanos.addAndGet(java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime());
    }
}
