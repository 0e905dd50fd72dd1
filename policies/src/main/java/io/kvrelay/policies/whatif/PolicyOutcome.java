package io.kvrelay.policies.whatif;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * One policy's figures over every replayed request, and per service. Rates and times are null without requests (or
 * without prompt blocks). Every policy of one run is scored on the same requests.
 *
 * @param description what the policy does, in one sentence, for the report
 * @param skipped     recorded decisions left out of every policy's figures: no candidates, or no chosen pod
 * @param perService  {@code namespace/service} → the same figures in that service, in service order
 */
public record PolicyOutcome(String policy, String description, int requests, int skipped, long promptBlocks,
                            long hitBlocks, Double hitRate, Double meanTtftMs, Double p99TtftMs,
                            Map<String, ServiceOutcome> perService) {
    public PolicyOutcome {
        perService = Collections.unmodifiableMap(new TreeMap<>(perService));
    }
}
