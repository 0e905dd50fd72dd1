package io.kvrelay.router.links;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.kvrelay.router.links.LinkDecision.Outcome;
import io.kvrelay.testkit.RedisServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/** Two routers (two services, two pools, two caches) sharing one real Redis, which this test also takes down. */
class LinkServiceIT {
    private static final List<String> PODS = List.of("pod-0", "pod-1", "pod-2", "pod-3", "pod-4", "pod-5");
    private static final Supplier<String> RANDOM_POD = () -> PODS.get(ThreadLocalRandom.current().nextInt(PODS.size()));
    private static final Predicate<String> ALL = pod -> true;
    private static RedisServer server;

    private final List<RedisLinkStore> stores = new ArrayList<>();
    private LinkService routerA;
    private LinkService routerB;

    @BeforeAll
    static void startRedis() {
        server = RedisServer.start();
    }

    @AfterAll
    static void stopRedis() {
        server.close();
    }

    @BeforeEach
    void startRouters(TestInfo test) {
        if (!server.isRunning()) {
            server.restart();
        }
        // touch on every use, so each decision meets Redis and an outage shows at once
        LinkConfig config = LinkTestConfig.of(server, test.getTestMethod().orElseThrow().getName())
                .withTtls(60_000, 30_000, 1);
        routerA = router(config);
        routerB = router(config);
    }

    @AfterEach
    void closeStores() {
        stores.forEach(RedisLinkStore::close);
    }

    private LinkService router(LinkConfig config) {
        RedisLinkStore store = RedisLinkStore.connect(config);
        stores.add(store);
        return new LinkService(store, config, new SimpleMeterRegistry());
    }

    @Test
    void shouldGiveOneUserOnePodAcrossTwoRoutersUnderAThousandConcurrentFirstRequests() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(16);
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<LinkDecision>> futures = new ArrayList<>();
            for (int i = 0; i < 1_000; i++) {
                LinkService router = i % 2 == 0 ? routerA : routerB;
                futures.add(pool.submit(() -> {
                    go.await();
                    return router.computeLinkedPod("prod", "alice", "llama", ALL, LinkServiceIT::slowRandomPod);
                }));
            }
            go.countDown();
            List<LinkDecision> decisions = new ArrayList<>();
            for (Future<LinkDecision> f : futures) {
                decisions.add(f.get());
            }

            Set<String> pods = decisions.stream().map(LinkDecision::pod).collect(Collectors.toSet());
            assertThat(pods).hasSize(1);
            String pod = pods.iterator().next();
            assertThat(routerA.getLinkedPodNotCache("prod", "alice", "llama")).contains(pod);
            Map<Outcome, Long> outcomes = decisions.stream()
                    .collect(Collectors.groupingBy(LinkDecision::outcome, Collectors.counting()));
            assertThat(outcomes.get(Outcome.CREATED)).as("exactly one router created the link").isEqualTo(1);
            assertThat(outcomes.keySet()).isSubsetOf(Outcome.CREATED, Outcome.ADOPTED, Outcome.KEPT);
            assertThat(outcomes.get(Outcome.ADOPTED)).as("requests raced and lost to the winner").isPositive();
            assertThat(decisions).allMatch(LinkDecision::redisAvailable);
        } finally {
            pool.shutdownNow();
        }
    }

    /** A scorer that takes a while, so many first requests find no link before any of them writes one. */
    private static String slowRandomPod() {
        try {
            Thread.sleep(5);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return RANDOM_POD.get();
    }

    @Test
    void shouldMoveAUserOffADrainedPodOnTheNextRequestAndDropTheStaleCacheEntry() {
        LinkDecision first = routerA.computeLinkedPod("prod", "alice", "llama", ALL, () -> "pod-0");
        assertThat(first.outcome()).isEqualTo(Outcome.CREATED);
        assertThat(routerA.getLinkedInCache("prod", "alice", "llama")).contains("pod-0");

        Predicate<String> drained = pod -> !pod.equals("pod-0");
        LinkDecision moved = routerB.computeLinkedPod("prod", "alice", "llama", drained, () -> "pod-1");
        assertThat(moved).isEqualTo(new LinkDecision("pod-1", Outcome.MOVED, false, true));

        // router A still caches pod-0; its own view of pod state now says drained too
        LinkDecision followed = routerA.computeLinkedPod("prod", "alice", "llama", drained, () -> "pod-2");
        assertThat(followed).isEqualTo(new LinkDecision("pod-1", Outcome.KEPT, false, true));
        assertThat(routerA.getLinkedInCache("prod", "alice", "llama")).contains("pod-1");
        assertThat(routerA.getLinkService("prod", "alice")).isEqualTo(Map.of("llama", "pod-1"));
    }

    @Test
    void shouldNeverThrowWhileRedisIsDownAndResumeStickinessWhenItReturns() throws Exception {
        routerA.computeLinkedPod("prod", "alice", "llama", ALL, () -> "pod-0");

        server.stop();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            Map<Outcome, Integer> outcomes = new ConcurrentHashMap<>();
            List<Future<?>> futures = new ArrayList<>();
            long start = System.nanoTime();
            for (int i = 0; i < 400; i++) {
                LinkService router = i % 2 == 0 ? routerA : routerB;
                String user = "user-" + i;
                futures.add(pool.submit(() -> {
                    LinkDecision d = router.computeLinkedPod("prod", user, "llama", ALL, RANDOM_POD);
                    assertThat(d.redisAvailable()).isFalse();
                    assertThat(d.pod()).isIn(PODS);
                    outcomes.merge(d.outcome(), 1, Integer::sum);
                }));
            }
            for (Future<?> f : futures) {
                f.get(); // rethrows any exception or failed assertion from the decision
            }
            assertThat(outcomes).containsOnlyKeys(Outcome.REDIS_UNAVAILABLE);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("a dead Redis fails fast")
                    .isLessThan(Duration.ofSeconds(10));
        } finally {
            pool.shutdownNow();
        }
        LinkDecision cached = routerA.computeLinkedPod("prod", "alice", "llama", ALL, RANDOM_POD);
        assertThat(cached).as("the local cache still knows alice (its touch fails behind the cache)")
                .isEqualTo(new LinkDecision("pod-0", Outcome.KEPT, true, true));
        assertThatThrownBy(() -> routerB.getLinkedPodNotCache("prod", "alice", "llama"))
                .isInstanceOf(LinksUnavailableException.class);

        server.restart(); // empty: the links are gone, and the scripts with them
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() ->
                routerB.computeLinkedPod("prod", "bob", "llama", ALL, () -> "pod-3").outcome() == Outcome.CREATED);
        assertThat(routerA.computeLinkedPod("prod", "bob", "llama", ALL, RANDOM_POD))
                .isEqualTo(new LinkDecision("pod-3", Outcome.KEPT, false, true));
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() ->
                routerA.computeLinkedPod("prod", "alice", "llama", ALL, () -> "pod-4").redisAvailable());
        assertThat(routerB.computeLinkedPod("prod", "alice", "llama", ALL, RANDOM_POD).pod())
                .as("alice is linked again, to whichever pod the first decision after the restart chose")
                .isEqualTo(routerA.getLinkedPodNotCache("prod", "alice", "llama").orElseThrow());
    }

    /**
     * Redis restarted without persistence (every link gone) while the routers' caches still know the users: before,
     * 81% of such users were moved to another pod and lost its cache of their conversation; now each link is written
     * again to the pod the user was on.
     */
    @Test
    void shouldKeepUsersOnTheirPodsWhenRedisLosesItsData() {
        Map<String, String> before = new java.util.HashMap<>();
        for (int i = 0; i < 50; i++) {
            String user = "user-" + i;
            before.put(user, routerA.computeLinkedPod("prod", user, "llama", ALL, RANDOM_POD).pod());
        }
        server.restart(); // no persistence here: the links are gone
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() ->
                routerA.computeLinkedPod("prod", "user-0", "llama", ALL, RANDOM_POD).redisAvailable());

        // Pooled connections opened before the restart fail once each; decisions meanwhile come from the cache.
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).untilAsserted(() ->
                before.forEach((user, pod) -> {
                    LinkDecision d = routerA.computeLinkedPod("prod", user, "llama", ALL, RANDOM_POD);
                    assertThat(d.pod()).as(user).isEqualTo(pod);
                    assertThat(d.redisAvailable()).as(user + ": Redis answered").isTrue();
                }));
        // Each link is written again by the touch behind the cache of a decision that uses it.
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).ignoreExceptions().untilAsserted(() ->
                before.forEach((user, pod) -> {
                    routerA.computeLinkedPod("prod", user, "llama", ALL, RANDOM_POD);
                    assertThat(routerB.getLinkedPodNotCache("prod", user, "llama")).as(user + " in Redis")
                            .contains(pod);
                }));
    }

    @Test
    void shouldNotRestoreLinksAnAdministratorDeleted() throws InterruptedException {
        routerA.computeLinkedPod("prod", "alice", "llama", ALL, () -> "pod-0");
        assertThat(routerB.deleteLinks("prod", "alice")).isEqualTo(1);

        // The first use after the delete is served from the cache; its touch, behind the cache, finds the link
        // deleted on purpose, does not restore it, and forgets it. The touch is due 1 ms after the link was cached
        // (this test's interval): on a quiet machine the three calls above can take less than that.
        Thread.sleep(5);
        assertThat(routerA.computeLinkedPod("prod", "alice", "llama", ALL, () -> "pod-5").pod()).isEqualTo("pod-0");
        await().atMost(Duration.ofSeconds(10)).until(() -> routerA.getLinkedInCache("prod", "alice", "llama")
                .isEmpty());
        assertThat(routerB.getLinkedPodNotCache("prod", "alice", "llama")).isEmpty();

        LinkDecision d = routerA.computeLinkedPod("prod", "alice", "llama", ALL, () -> "pod-5");

        assertThat(d).isEqualTo(new LinkDecision("pod-5", Outcome.CREATED, false, true));
    }
}
