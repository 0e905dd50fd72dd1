package io.kvrelay.router.links;

/**
 * The link layer's answer for one request: which pod, and how the user's sticky link took part.
 *
 * @param pod            the pod to route to; null only when {@link Outcome#NO_ROUTABLE_POD}
 * @param outcome        how the pod was chosen and what happened to the link
 * @param fromCache      the link came from this router's local cache rather than from Redis
 * @param redisAvailable false when a Redis call failed during this decision (the pod was then chosen without
 *                       stickiness, or from the local cache); true also when Redis was not needed
 */
public record LinkDecision(String pod, Outcome outcome, boolean fromCache, boolean redisAvailable) {

    /** How a decision was reached. The first four leave the user linked to {@link #pod()}. */
    public enum Outcome {
        /** The user's link pointed at a routable pod; it was used (and, in an owned namespace, its TTL refreshed). */
        KEPT,
        /** The user had no link; the best pod was chosen and linked. */
        CREATED,
        /** The link pointed at a pod no longer routable; it was moved to the best pod. */
        MOVED,
        /** Another router linked the user first (a lost race); its link, to a routable pod, was used. */
        ADOPTED,
        /** Redis could not be reached: the best pod, no link read or written. */
        REDIS_UNAVAILABLE,
        /** Routers kept linking the user to pods this router finds unroutable: the best pod, unlinked this time. */
        CONTENDED,
        /** The namespace is not this router's and the user has no routable link there: the best pod, unlinked. */
        NAMESPACE_NOT_OWNED,
        /** The caller has no routable pod to offer: nothing to route to. */
        NO_ROUTABLE_POD;

        /** The user is linked to the chosen pod once this decision is made. */
        public boolean linked() {
            return this == KEPT || this == CREATED || this == MOVED || this == ADOPTED;
        }
    }

    public LinkDecision {
        if (outcome == null) {
            throw new IllegalArgumentException("outcome is required");
        }
        if ((pod == null) != (outcome == Outcome.NO_ROUTABLE_POD)) {
            throw new IllegalArgumentException("pod must be null exactly when there is no routable pod");
        }
    }

    /** An existing link decided the pod (ours or one another router had just written), not the scorer. */
    public boolean sticky() {
        return outcome == Outcome.KEPT || outcome == Outcome.ADOPTED;
    }

    /** A pod was answered without the user being linked to it. */
    public boolean withoutStickiness() {
        return pod != null && !outcome.linked();
    }
}
