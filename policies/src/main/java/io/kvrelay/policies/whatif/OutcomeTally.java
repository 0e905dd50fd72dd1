package io.kvrelay.policies.whatif;

import io.kvrelay.policies.Percentile;
import it.unimi.dsi.fastutil.doubles.DoubleArrayList;
import java.util.Map;
import java.util.TreeMap;

/** One policy's served requests, added up in total and per service. Not thread-safe. */
final class OutcomeTally {
    private final Sums total = new Sums();
    private final Map<String, Sums> byService = new TreeMap<>();

    void add(String service, int promptBlocks, int hitBlocks, double ttftMs) {
        total.add(promptBlocks, hitBlocks, ttftMs);
        byService.computeIfAbsent(service, s -> new Sums()).add(promptBlocks, hitBlocks, ttftMs);
    }

    PolicyOutcome outcome(String policy, String description, int skipped) {
        Map<String, ServiceOutcome> perService = new TreeMap<>();
        byService.forEach((service, s) -> perService.put(service, new ServiceOutcome(policy, service, s.requests(),
                s.promptBlocks, s.hitBlocks, s.hitRate(), s.meanTtftMs(), s.p99TtftMs())));
        return new PolicyOutcome(policy, description, total.requests(), skipped, total.promptBlocks,
                total.hitBlocks, total.hitRate(), total.meanTtftMs(), total.p99TtftMs(), perService);
    }

    private static final class Sums {
        long promptBlocks;
        long hitBlocks;
        double ttftSum;
        final DoubleArrayList ttft = new DoubleArrayList();

        void add(int prompt, int hit, double ttftMs) {
            promptBlocks += prompt;
            hitBlocks += hit;
            ttftSum += ttftMs;
            ttft.add(ttftMs);
        }

        int requests() {
            return ttft.size();
        }

        Double hitRate() {
            return promptBlocks == 0 ? null : (double) hitBlocks / promptBlocks;
        }

        Double meanTtftMs() {
            return ttft.isEmpty() ? null : ttftSum / ttft.size();
        }

        Double p99TtftMs() {
            return ttft.isEmpty() ? null : Percentile.of(ttft.toDoubleArray(), 0.99);
        }
    }
}
