package io.kvrelay.bench.index;

import io.kvrelay.stream.index.PrefixIndex;
import io.kvrelay.stream.index.Tier;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.ref.Reference;
import java.util.SplittableRandom;

/**
 * Heap per (block, worker) entry of a {@link PrefixIndex}, target ≤ 64 bytes at 1,000,000 entries over 64 workers:
 * heap used after full GCs, before and after filling, divided by the entries. Two fills:
 * <ul>
 *   <li>realistic: 90% of the entries on keys one worker holds, 10% on 64-block shared prompts, each held by 2 to 64
 *       workers (so every holder-set format is present); blocks arrive in 16-block events, interleaved over workers;</li>
 *   <li>100% unique keys: every entry its own key (the key table at its largest).</li>
 * </ul>
 * The tables grow by ~1.27× and stay between 55% and 70% full, so the figure depends on where the count falls in that
 * cycle (worst case ≈ (16 + 18 bytes) / 0.55 ≈ 62 bytes plus holder sets); the index's own estimate ({@link
 * PrefixIndex#memoryBytes()}) is printed beside the measurement. Pass other entry counts to see the cycle.
 *
 * <pre>java -Xmx2g -cp benchmarks/target/benchmarks.jar io.kvrelay.bench.index.IndexMemory [entries]</pre>
 */
public final class IndexMemory {
    private static final int WORKERS = 64;
    private static final int PROMPT = 64;

    private IndexMemory() {
    }

    public static void main(String[] args) throws InterruptedException {
        int entries = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        System.out.printf("PrefixIndex memory, %,d (block, worker) entries, %d workers, %s %s%n", entries, WORKERS,
                System.getProperty("java.vm.name"), System.getProperty("java.version"));
        measure("realistic (10% shared)", entries, 0.10);
        measure("100% unique keys", entries, 0.0);
    }

    private static void measure(String name, int entries, double sharedShare) throws InterruptedException {
        long before = heapAfterGc();
        PrefixIndex index = fill(entries, sharedShare, new SplittableRandom(2025));
        long after = heapAfterGc();
        long n = index.entryCount();
        System.out.printf("%-24s entries %,d  keys %,d  heap %,d bytes  => %.1f bytes/entry (estimate %.1f)"
                + "  target <= 64%n", name, n, index.keyCount(), after - before, (after - before) / (double) n,
                index.memoryBytes() / (double) n);
        Reference.reachabilityFence(index);
    }

    static PrefixIndex fill(int entries, double sharedShare, SplittableRandom rnd) {
        PrefixIndex index = new PrefixIndex();
        int[] ids = new int[WORKERS];
        for (int w = 0; w < WORKERS; w++) {
            ids[w] = index.workerId("mem/vllm/pod-" + w + "#0");
        }
        long hash = 0;
        long shared = (long) (entries * sharedShare);
        long done = 0;
        long[] prompt = new long[PROMPT];
        while (done < shared) {
            for (int k = 0; k < PROMPT; k++) {
                prompt[k] = rnd.nextLong() | 1L;
            }
            int holders = 2 + rnd.nextInt(WORKERS - 1);
            int first = rnd.nextInt(WORKERS);
            for (int h = 0; h < holders && done < shared; h++) {
                int w = ids[(first + h) % WORKERS];
                for (int k = 0; k < PROMPT && done < shared; k++, done++) {
                    index.put(w, PrefixIndexBenchmark.mix(++hash), prompt[k], Tier.GPU);
                }
            }
        }
        for (int w = 0; done < entries; w = (w + 1) % WORKERS) {
            for (int b = 0; b < 16 && done < entries; b++, done++) {
                index.put(ids[w], PrefixIndexBenchmark.mix(++hash), rnd.nextLong() | 1L, Tier.GPU);
            }
        }
        return index;
    }

    private static long heapAfterGc() throws InterruptedException {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(100);
            used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
        }
        return used;
    }
}
