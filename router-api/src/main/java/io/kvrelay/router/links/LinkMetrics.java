package io.kvrelay.router.links;

import com.github.benmanes.caffeine.cache.Cache;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

/**
 * The link layer's meters, created once so the hot path only increments.
 * <ul>
 *   <li>{@code kvrelay.links.cache{result=hit|miss}}: local cache lookups of a single link</li>
 *   <li>{@code kvrelay.links.cache.size}: links in the local cache</li>
 *   <li>{@code kvrelay.links.cache.dropped}: cached links dropped because their pod stopped being routable or the
 *       link moved elsewhere</li>
 *   <li>{@code kvrelay.links.redis.errors}: link operations that failed because Redis was unavailable</li>
 *   <li>{@code kvrelay.links.redis.late}: route decisions' Redis calls that missed {@code links.redisDeadlineMs}
 *       (the decision went on without them; their answers still fill the cache)</li>
 *   <li>{@code kvrelay.links.redis.dropped}: Redis calls of route decisions and touches behind the cache refused
 *       because {@code links.redisQueueSize} calls were already waiting</li>
 *   <li>{@code kvrelay.links.redis.queue}: Redis calls waiting for a link-call thread</li>
 *   <li>{@code kvrelay.links.decisions{outcome=kept|created|moved|adopted|...}}: one per computeLinkedPod</li>
 *   <li>{@code kvrelay.links.races.lost}: conditional writes another router won</li>
 *   <li>{@code kvrelay.links.unsticky}: decisions that answered a pod without linking the user to it</li>
 * </ul>
 */
final class LinkMetrics {
    private final Counter hits;
    private final Counter misses;
    private final Counter dropped;
    private final Counter redisErrors;
    private final Counter redisLate;
    private final Counter redisDropped;
    private final Counter racesLost;
    private final Counter unsticky;
    private final Counter restored;
    private final Map<LinkDecision.Outcome, Counter> decisions = new EnumMap<>(LinkDecision.Outcome.class);

    /** @param queue the link-call pool's queue, or null when there is none */
    LinkMetrics(MeterRegistry registry, Cache<?, ?> cache, java.util.Collection<?> queue) {
        hits = Counter.builder("kvrelay.links.cache").tag("result", "hit")
                .description("Local link cache lookups").register(registry);
        misses = Counter.builder("kvrelay.links.cache").tag("result", "miss")
                .description("Local link cache lookups").register(registry);
        Gauge.builder("kvrelay.links.cache.size", cache, Cache::estimatedSize)
                .description("Links in the local cache").register(registry);
        dropped = Counter.builder("kvrelay.links.cache.dropped")
                .description("Cached links dropped: pod not routable, or link moved").register(registry);
        redisErrors = Counter.builder("kvrelay.links.redis.errors")
                .description("Link operations that failed because Redis was unavailable").register(registry);
        redisLate = Counter.builder("kvrelay.links.redis.late")
                .description("Redis calls of route decisions that missed links.redisDeadlineMs").register(registry);
        redisDropped = Counter.builder("kvrelay.links.redis.dropped")
                .description("Redis calls refused because links.redisQueueSize calls were waiting").register(registry);
        if (queue != null) {
            Gauge.builder("kvrelay.links.redis.queue", queue, java.util.Collection::size)
                    .description("Redis calls waiting for a link-call thread").register(registry);
        }
        racesLost = Counter.builder("kvrelay.links.races.lost")
                .description("Conditional link writes another router won").register(registry);
        unsticky = Counter.builder("kvrelay.links.unsticky")
                .description("Decisions that answered a pod without linking the user").register(registry);
        restored = Counter.builder("kvrelay.links.restored")
                .description("Links Redis had lost (data loss, not a decision) written again from this router's cache")
                .register(registry);
        for (LinkDecision.Outcome o : LinkDecision.Outcome.values()) {
            decisions.put(o, Counter.builder("kvrelay.links.decisions").tag("outcome", o.name().toLowerCase(Locale.ROOT))
                    .description("Link decisions by outcome").register(registry));
        }
    }

    void cacheHit() {
        hits.increment();
    }

    void cacheMiss() {
        misses.increment();
    }

    void cacheDropped() {
        dropped.increment();
    }

    void redisError() {
        redisErrors.increment();
    }

    void redisLate() {
        redisLate.increment();
    }

    void redisDropped() {
        redisDropped.increment();
    }

    void restored() {
        restored.increment();
    }

    void raceLost() {
        racesLost.increment();
    }

    LinkDecision decided(LinkDecision decision) {
        decisions.get(decision.outcome()).increment();
        if (decision.withoutStickiness()) {
            unsticky.increment();
        }
        return decision;
    }
}
