package io.kvrelay.stream.query;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/**
 * The prefix-match query, metered around it as Kafka Streams meters its stores (a decorator, the query left as it
 * is): {@code kvrelay_stream_query_prefix_match_seconds{outcome}} counts and times every local answer, FOUND or
 * UNAVAILABLE (restoring, migrating, rebuilding), whichever port asked.
 */
public final class MeteredPrefixMatchQuery implements PrefixMatchQuery {
    private final PrefixMatchQuery delegate;
    private final Timer found;
    private final Timer unavailable;

    public MeteredPrefixMatchQuery(PrefixMatchQuery delegate, MeterRegistry registry) {
        this.delegate = delegate;
        this.found = timer(registry, "found");
        this.unavailable = timer(registry, "unavailable");
    }

    private static Timer timer(MeterRegistry registry, String outcome) {
        return Timer.builder("kvrelay.stream.query.prefix.match")
                .description("prefix-match queries answered from this instance's shards, by outcome")
                .tag("outcome", outcome).publishPercentiles(0.5, 0.99)
                .distributionStatisticExpiry(Duration.ofMinutes(1)).register(registry);
    }

    @Override
    public QueryOutcome<PrefixMatch> prefixMatch(PrefixMatchRequest req) {
        long t0 = System.nanoTime();
        QueryOutcome<PrefixMatch> o = delegate.prefixMatch(req);
        (o instanceof QueryOutcome.Found ? found : unavailable).record(System.nanoTime() - t0,
                java.util.concurrent.TimeUnit.NANOSECONDS);
        return o;
    }
}
