package io.kvrelay.stream.query;

/**
 * The one rule that says whether a pod is alive, stale, suspect and routable, from what its bridge last reported and
 * from what the same bridge reports about its other pods. Pure: the caller gives the time.
 *
 * <p><b>Stale is not dead.</b> A pod's heartbeat ages for two different reasons: the pod went away while its bridge
 * goes on reporting (dead), or nothing from that bridge arrives any more (the bridge restarts, Kafka is down, this
 * stream-app is behind). Routing nothing for the length of a pipeline outage is worse than routing on the last known
 * state, so the second case keeps the pod routable, flagged {@code stale}, for at most {@code staleMaxMs}. The
 * evidence is the bridge's other pods: when the freshest report of the pod's {@code source} is itself older than the
 * TTL, the whole bridge went silent; when that bridge still reports other pods, this one is gone.
 *
 * <p><b>Connected but silent is suspect.</b> A hung vLLM process keeps its ZeroMQ connection up while its
 * {@code /metrics} stop answering; the bridge then says since when the load has been unknown. Past
 * {@code suspectAfterMs} the pod is {@code suspect} (still routed, scored at the highest load another pod reports);
 * past {@code unroutableAfterMs} it is not routable. That duration is measured up to the pod's last report, not to
 * now: a stale pod does not become silent merely because the pipeline is behind.
 *
 * @param heartbeatTtlMs    a report older than this is not fresh
 * @param staleMaxMs        a pod is kept on its last state for at most this long after its last report
 * @param suspectAfterMs    load unknown for longer than this: suspect
 * @param unroutableAfterMs load unknown for longer than this: not routable
 */
public record PodLiveness(long heartbeatTtlMs, long staleMaxMs, long suspectAfterMs, long unroutableAfterMs) {

    public PodLiveness {
        if (heartbeatTtlMs <= 0 || suspectAfterMs <= 0) {
            throw new IllegalArgumentException("heartbeatTtlMs and suspectAfterMs must be > 0, got " + heartbeatTtlMs
                    + " and " + suspectAfterMs);
        }
        if (staleMaxMs <= heartbeatTtlMs) {
            throw new IllegalArgumentException("staleMaxMs (" + staleMaxMs + ") must be longer than heartbeatTtlMs ("
                    + heartbeatTtlMs + "): a pod becomes stale only once its heartbeat is older than the TTL");
        }
        if (unroutableAfterMs < suspectAfterMs) {
            throw new IllegalArgumentException("unroutableAfterMs (" + unroutableAfterMs
                    + ") must be >= suspectAfterMs (" + suspectAfterMs + ")");
        }
    }

    /**
     * What the bridge last said about one pod.
     *
     * @param connected              its last state was CONNECTED
     * @param heartbeatMicros        when that was reported (null: never)
     * @param source                 the bridge instance that reported it
     * @param drained                an operator drained it
     * @param loadUnknownSinceMicros since when its scraped load has been unknown (null: known, or not scraped)
     */
    public record Evidence(boolean connected, Long heartbeatMicros, String source, boolean drained,
                           Long loadUnknownSinceMicros) {
    }

    /**
     * @param alive          connected by its last report, and that report is fresh or the pod is stale
     * @param routable       alive, not drained, and its load not unknown for longer than unroutableAfterMs
     * @param stale          its report is old because its whole bridge is silent, not because it is gone
     * @param suspect        alive, and its load unknown for longer than suspectAfterMs
     * @param loadUnknownMs  for how long its load had been unknown at its last report (0: known)
     */
    public record Verdict(boolean alive, boolean routable, boolean stale, boolean suspect, long loadUnknownMs) {
    }

    public Verdict judge(Evidence e, SourceHeartbeats sources, long nowMs) {
        Long hb = e.heartbeatMicros();
        long ageMs = hb == null ? Long.MAX_VALUE : Math.max(0, nowMs - hb / 1_000);
        boolean fresh = ageMs <= heartbeatTtlMs;
        boolean stale = e.connected() && !fresh && ageMs <= staleMaxMs && sources.silent(e.source(), nowMs,
                heartbeatTtlMs);
        boolean alive = e.connected() && (fresh || stale);
        Long since = e.loadUnknownSinceMicros();
        long unknownMs = since == null || hb == null ? 0 : Math.max(0, (hb - since) / 1_000);
        boolean suspect = alive && unknownMs > suspectAfterMs;
        boolean routable = alive && !e.drained() && unknownMs <= unroutableAfterMs;
        return new Verdict(alive, routable, stale, suspect, unknownMs);
    }
}
