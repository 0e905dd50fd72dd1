package io.kvrelay.launcher.replay;

import io.kvrelay.policies.whatif.RecordedRequest;
import io.kvrelay.schemas.avro.CandidateScore;
import io.kvrelay.schemas.avro.RouteDecision;
import java.util.Map;
import java.util.TreeMap;

/**
 * The hit rate of the decisions the router actually took in one service: for each routed decision, the leading
 * prompt blocks its chosen pod really held at that instant (the replayed state: ground truth), next to what the
 * router believed (the chosen candidate's {@code matched}, from stream-app at decision time). The gap between the two
 * is index staleness as the decisions felt it.
 */
final class DecisionTally {
    private long total;
    private long routed;
    private long promptBlocks;
    private long hitBlocks;
    private long routerSawBlocks;
    private final Map<String, Long> byReason = new TreeMap<>();

    /**
     * @param request      the request the decision records (its chosen pod by name, its prompt)
     * @param heldOnChosen leading prompt blocks the chosen pod held, from the replayed state
     */
    void add(RouteDecision d, RecordedRequest request, int heldOnChosen) {
        total++;
        byReason.merge(d.getReason(), 1L, Long::sum);
        String chosen = request.chosenPod();
        if (chosen == null) {
            return;
        }
        routed++;
        int blocks = request.promptBlocks();
        promptBlocks += blocks;
        hitBlocks += Math.min(heldOnChosen, blocks);
        for (CandidateScore c : d.getCandidates()) {
            if (c.getPod().equals(chosen)) {
                routerSawBlocks += Math.min(c.getMatched(), blocks);
                break;
            }
        }
    }

    /** The JSON view; rates are null without prompt blocks. */
    record Summary(long total, long routed, long promptBlocks, long hitBlocks, Double hitRate, long routerSawBlocks,
                   Double routerSawHitRate, Map<String, Long> byReason) {
    }

    Summary summary() {
        return new Summary(total, routed, promptBlocks, hitBlocks, rate(hitBlocks), routerSawBlocks,
                rate(routerSawBlocks), new TreeMap<>(byReason));
    }

    private Double rate(long blocks) {
        return promptBlocks == 0 ? null : (double) blocks / promptBlocks;
    }
}
