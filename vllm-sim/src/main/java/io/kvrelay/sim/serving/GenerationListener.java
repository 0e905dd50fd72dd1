package io.kvrelay.sim.serving;

/**
 * What a request hears from the {@link ServingEngine}, on the engine's scheduler thread (never concurrently for one
 * request). Implementations must not block: every rank of the pod waits meanwhile.
 */
public interface GenerationListener {
    /**
     * One generated token: the first at the end of the prefill, then one per decode step.
     *
     * @param index 0 for the first token
     * @param last  true for the request's last token ({@link #onFinished} follows at once)
     */
    void onToken(int index, int tokenId, String text, boolean last, Usage usageSoFar);

    /** The request produced all its tokens and released its slot and blocks. */
    void onFinished(Usage usage);

    /** The request could not be served (the pod closed, or its cache model failed); nothing more follows. */
    void onFailed(Throwable cause);
}
