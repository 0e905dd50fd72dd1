package io.kvrelay.router.decide;

import io.kvrelay.router.scoring.PodScorer;
import io.kvrelay.router.state.PodInfo;
import java.util.List;

/**
 * The router's answer.
 *
 * @param pod             the chosen pod, or null when the service has no routable pod
 * @param score           the chosen pod's score (its predicted TTFT, queue and prefill), or null with no pod
 * @param matchedBlocks   prompt blocks the chosen pod holds (its longest cached prefix)
 * @param totalBlocks     full blocks in the prompt
 * @param sticky          an existing link decided it
 * @param reason          why this pod: {@code sticky}, {@code best-cost}, {@code linked-new}, {@code link-moved},
 *                        {@code link-adopted}, {@code no-routable-pod}, {@code redis-unavailable}, ...
 * @param linkOutcome     what happened to the user's link (null without a user)
 * @param redisAvailable  false when stickiness was skipped because Redis failed
 * @param indexAvailable  false when stream-app's prefix index could not answer (decided on load and links)
 * @param stale           the chosen pod was routed on its last known state (its bridge went silent, or this router
 *                        could not refresh from stream-app); the reason then ends in {@code -stale}
 * @param stateAgeMs      how old the pod state used is
 * @param candidates      every routable pod, best first, with its figures
 * @param blockKeys       the prompt's block keys, as the decision used them (published for analytics)
 */
public record RouteResult(PodInfo pod, PodScorer.Score score, int matchedBlocks, int totalBlocks, boolean sticky,
                          String reason, String linkOutcome, boolean redisAvailable, boolean indexAvailable,
                          boolean stale, long stateAgeMs, List<PodScorer.Score> candidates, long latencyMicros,
                          long[] blockKeys) {
}
