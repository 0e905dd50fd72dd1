package io.kvrelay.router.links;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvrelay.router.links.LinkDecision.Outcome;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The compute rule of {@link LinkService}, against an in-memory store and a hand-driven clock. Redis calls run on the
 * calling thread here (a direct executor), so calls behind the cache are done when {@code compute} returns; the
 * deadline and the bounded pool are {@link LinkServiceDeadlineTest}'s.
 */
class LinkServiceComputeTest {
    private static final String NS = "prod";
    private static final LinkKey KEY = new LinkKey(NS, "alice", "llama");
    private static final Predicate<String> ALL = pod -> true;
    private static final long TOUCH_MS = 10_000;

    private final FakeLinkStore store = new FakeLinkStore();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final LinkService links = new LinkService(store,
            LinkConfig.of("localhost", 6379, Set.of(NS)).withTtls(600_000, 60_000, TOUCH_MS), registry, now::get,
            Runnable::run);

    private LinkDecision compute(Predicate<String> routable, Supplier<String> best) {
        return links.computeLinkedPod(NS, "alice", "llama", routable, best);
    }

    private static Supplier<String> never() {
        return () -> {
            throw new AssertionError("the scorer must not be asked when a link decides");
        };
    }

    private double count(String name, String... tags) {
        return registry.get(name).tags(tags).counter().count();
    }

    @Test
    void shouldCreateALinkToTheBestPodWhenTheUserHasNone() {
        LinkDecision d = compute(ALL, () -> "pod-a");

        assertThat(d).isEqualTo(new LinkDecision("pod-a", Outcome.CREATED, false, true));
        assertThat(d.sticky()).isFalse();
        assertThat(store.links).containsEntry(KEY, "pod-a");
        assertThat(links.getLinkedInCache(NS, "alice", "llama")).contains("pod-a");
        assertThat(count("kvrelay.links.decisions", "outcome", "created")).isEqualTo(1);
    }

    @Test
    void shouldKeepARoutableLinkWithoutAskingTheScorerAndRefreshItsTtl() {
        store.links.put(KEY, "pod-a");

        LinkDecision d = compute(ALL, never());

        assertThat(d).isEqualTo(new LinkDecision("pod-a", Outcome.KEPT, false, true));
        assertThat(d.sticky()).isTrue();
        assertThat(store.touches).hasValue(1);
    }

    /** Issue 12 item 5: before, 81% of users whose link Redis lost were moved to another pod and lost its cache. */
    @Test
    void shouldWriteAgainALinkRedisLostWhileThisRouterStillKnowsIt() {
        compute(ALL, () -> "pod-a");
        store.links.clear(); // Redis flushed, or failed over without persistence
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(TOUCH_MS)); // the touch is due: Redis is asked

        LinkDecision d = compute(ALL, () -> "pod-b");

        assertThat(d.pod()).isEqualTo("pod-a");
        assertThat(d.outcome()).isEqualTo(Outcome.KEPT);
        assertThat(store.links).containsEntry(KEY, "pod-a");
        assertThat(count("kvrelay.links.restored")).isEqualTo(1);
    }

    @Test
    void shouldNotRestoreLinksDeletedOnPurpose() {
        compute(ALL, () -> "pod-a");
        store.delete(NS, "alice"); // e.g. another router's admin API: this router's cache still has the link
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(TOUCH_MS));

        assertThat(compute(ALL, never())).as("the touch runs behind the cache")
                .isEqualTo(new LinkDecision("pod-a", Outcome.KEPT, true, true));
        LinkDecision d = compute(ALL, () -> "pod-b");

        assertThat(d).isEqualTo(new LinkDecision("pod-b", Outcome.CREATED, false, true));
        assertThat(count("kvrelay.links.restored")).isZero();
    }

    @Test
    void shouldNotRestoreALinkWhosePodIsNoLongerRoutable() {
        compute(ALL, () -> "pod-a");
        store.links.clear();
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(TOUCH_MS));

        LinkDecision d = compute(pod -> !pod.equals("pod-a"), () -> "pod-b");

        assertThat(d).isEqualTo(new LinkDecision("pod-b", Outcome.CREATED, false, true));
        assertThat(store.links).containsEntry(KEY, "pod-b");
    }

    @Test
    void shouldServeFromTheCacheWithoutRedisUntilTheTouchIsDue() {
        compute(ALL, () -> "pod-a");
        store.down = true; // proves the next decision does not reach Redis

        assertThat(compute(ALL, never())).isEqualTo(new LinkDecision("pod-a", Outcome.KEPT, true, true));
        assertThat(count("kvrelay.links.cache", "result", "hit")).isEqualTo(1);

        store.down = false;
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(TOUCH_MS));
        assertThat(compute(ALL, never())).isEqualTo(new LinkDecision("pod-a", Outcome.KEPT, true, true));
        assertThat(store.touches).as("the due touch refreshed the link in Redis").hasValue(2);
    }

    @Test
    void shouldMoveALinkOffAnUnroutablePodAndDropItsCacheEntry() {
        compute(ALL, () -> "pod-a");

        LinkDecision d = compute(pod -> !pod.equals("pod-a"), () -> "pod-b");

        assertThat(d).isEqualTo(new LinkDecision("pod-b", Outcome.MOVED, false, true));
        assertThat(store.links).containsEntry(KEY, "pod-b");
        assertThat(links.getLinkedInCache(NS, "alice", "llama")).contains("pod-b");
        assertThat(count("kvrelay.links.cache.dropped")).isEqualTo(1);
    }

    @Test
    void shouldAnswerWithTheWinnerWhenAnotherRouterLinksTheUserFirst() {
        store.beforeWrite = k -> store.links.putIfAbsent(k, "pod-x");

        LinkDecision d = compute(ALL, () -> "pod-a");

        assertThat(d).isEqualTo(new LinkDecision("pod-x", Outcome.ADOPTED, false, true));
        assertThat(d.sticky()).isTrue();
        assertThat(links.getLinkedInCache(NS, "alice", "llama")).contains("pod-x");
        assertThat(count("kvrelay.links.races.lost")).isEqualTo(1);
    }

    @Test
    void shouldAnswerWithTheWinnerWhenAnotherRouterMovesTheLinkFirst() {
        store.links.put(KEY, "pod-a");
        store.beforeWrite = k -> store.links.put(k, "pod-c");

        LinkDecision d = compute(pod -> !pod.equals("pod-a"), () -> "pod-b");

        assertThat(d).isEqualTo(new LinkDecision("pod-c", Outcome.ADOPTED, false, true));
        assertThat(store.links).containsEntry(KEY, "pod-c");
    }

    @Test
    void shouldRecreateALinkThatVanishesDuringAMove() {
        store.links.put(KEY, "pod-a");
        store.beforeWrite = k -> {
            store.links.remove(k);
            store.beforeWrite = x -> { };
        };

        LinkDecision d = compute(pod -> !pod.equals("pod-a"), () -> "pod-b");

        assertThat(d).isEqualTo(new LinkDecision("pod-b", Outcome.CREATED, false, true));
    }

    @Test
    void shouldAnswerUnlinkedWhenRoutersKeepLinkingTheUserToUnroutablePods() {
        AtomicInteger other = new AtomicInteger();
        store.beforeWrite = k -> store.links.put(k, "drained-" + other.incrementAndGet());
        AtomicInteger scorerCalls = new AtomicInteger();

        LinkDecision d = compute(pod -> !pod.startsWith("drained"), () -> {
            scorerCalls.incrementAndGet();
            return "pod-b";
        });

        assertThat(d).isEqualTo(new LinkDecision("pod-b", Outcome.CONTENDED, false, true));
        assertThat(d.withoutStickiness()).isTrue();
        assertThat(scorerCalls).as("scored once per decision").hasValue(1);
        assertThat(store.writes).hasValue(LinkService.MAX_ATTEMPTS);
        assertThat(count("kvrelay.links.races.lost")).isEqualTo(LinkService.MAX_ATTEMPTS);
        assertThat(count("kvrelay.links.unsticky")).isEqualTo(1);
    }

    @Test
    void shouldAnswerNoPodAndWriteNothingWhenNothingIsRoutable() {
        LinkDecision d = compute(ALL, () -> null);

        assertThat(d).isEqualTo(new LinkDecision(null, Outcome.NO_ROUTABLE_POD, false, true));
        assertThat(store.links).isEmpty();
    }

    @Test
    void shouldDegradeWithoutThrowingWhileRedisIsDownAndResumeStickinessAfter() {
        store.down = true;

        LinkDecision d = compute(ALL, () -> "pod-a");

        assertThat(d).isEqualTo(new LinkDecision("pod-a", Outcome.REDIS_UNAVAILABLE, false, false));
        assertThat(count("kvrelay.links.redis.errors")).isEqualTo(1);
        assertThat(count("kvrelay.links.unsticky")).isEqualTo(1);

        store.down = false;
        assertThat(compute(ALL, () -> "pod-b").outcome()).isEqualTo(Outcome.CREATED);
        assertThat(compute(ALL, never())).isEqualTo(new LinkDecision("pod-b", Outcome.KEPT, true, true));
    }

    @Test
    void shouldKeepServingACachedLinkWhileRedisIsDown() {
        compute(ALL, () -> "pod-a");
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(TOUCH_MS));
        store.down = true;

        assertThat(compute(ALL, never())).isEqualTo(new LinkDecision("pod-a", Outcome.KEPT, true, true));
        assertThat(count("kvrelay.links.redis.errors")).as("the touch behind the cache failed").isEqualTo(1);
        assertThat(compute(ALL, never())).isEqualTo(new LinkDecision("pod-a", Outcome.KEPT, true, true));
        assertThat(count("kvrelay.links.redis.errors")).as("retried after touchIntervalMs, not per request")
                .isEqualTo(1);
    }

    @Test
    void shouldFollowALinkAnotherRouterMovedOnceTheTouchBehindTheCacheSeesIt() {
        compute(ALL, () -> "pod-a");
        store.links.put(KEY, "pod-b");
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(TOUCH_MS));

        assertThat(compute(ALL, never())).isEqualTo(new LinkDecision("pod-a", Outcome.KEPT, true, true));
        assertThat(links.getLinkedInCache(NS, "alice", "llama")).contains("pod-b");
        assertThat(compute(ALL, never())).isEqualTo(new LinkDecision("pod-b", Outcome.KEPT, true, true));
    }

    @Test
    void shouldTouchADueLinkOncePerIntervalHoweverManyRequestsUseIt() {
        compute(ALL, () -> "pod-a");
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(TOUCH_MS));

        for (int i = 0; i < 5; i++) {
            compute(ALL, never());
        }

        assertThat(store.touches).as("the first decision's read, then one touch").hasValue(2);
    }

    @Test
    void shouldForgetTheCacheOnceItsTtlPasses() {
        compute(ALL, () -> "pod-a");

        now.addAndGet(TimeUnit.SECONDS.toNanos(60));

        assertThat(links.getLinkedInCache(NS, "alice", "llama")).isEmpty();
    }

    @Test
    void shouldReadButNeverWriteLinksInANamespaceItDoesNotOwn() {
        LinkKey elsewhere = new LinkKey("staging", "alice", "llama");

        LinkDecision d = links.computeLinkedPod("staging", "alice", "llama", ALL, () -> "pod-a");
        assertThat(d).isEqualTo(new LinkDecision("pod-a", Outcome.NAMESPACE_NOT_OWNED, false, true));
        assertThat(store.links).isEmpty();

        store.links.put(elsewhere, "pod-z");
        d = links.computeLinkedPod("staging", "alice", "llama", ALL, never());
        assertThat(d).isEqualTo(new LinkDecision("pod-z", Outcome.KEPT, false, true));
        assertThat(store.touches).as("a touch is a write").hasValue(0);
    }
}
