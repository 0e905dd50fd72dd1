package io.kvrelay.launcher.bench;

/**
 * What happened to one request under one policy.
 *
 * @param pod          the chosen pod's index in the fleet (services in order, then pods)
 * @param hitBlocks    leading prompt blocks the chosen pod had cached when it served the request (simulator truth)
 */
public record Served(int request, int pod, double arrivalMs, int promptBlocks, int hitBlocks, double ttftMs,
                     double finishMs) {
    public Served {
        if (pod < 0 || promptBlocks < 0 || hitBlocks < 0 || hitBlocks > promptBlocks) {
            throw new IllegalArgumentException("need pod >= 0 and 0 <= hitBlocks <= promptBlocks, got pod " + pod
                    + ", " + hitBlocks + "/" + promptBlocks);
        }
        if (finishMs < arrivalMs) {
            throw new IllegalArgumentException("finishMs " + finishMs + " before arrivalMs " + arrivalMs);
        }
    }
}
