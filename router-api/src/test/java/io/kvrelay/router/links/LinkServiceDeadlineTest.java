package io.kvrelay.router.links;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvrelay.router.links.LinkDecision.Outcome;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link LinkService} in front of a Redis that does not answer: route decisions wait at most
 * {@code links.redisDeadlineMs}, touches run behind the cache, late answers fill it, and the bounded pool refuses
 * work instead of piling it up. Timing bounds are generous (a busy 2-core machine): they tell "bounded" from "blocked".
 */
class LinkServiceDeadlineTest {
    private static final String NS = "prod";
    private static final LinkKey KEY = new LinkKey(NS, "alice", "llama");
    private static final Duration NOT_BLOCKED = Duration.ofSeconds(2);

    private final FakeLinkStore fake = new FakeLinkStore();
    private final StalledStore store = new StalledStore(fake);
    private SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private LinkService links = service(16, 256);

    private LinkService service(int threads, int queue) {
        LinkConfig config = new LinkConfig("localhost", 6379, null, 600_000, 60_000, 10_000, 0, Set.of(NS), 0, 200, 0,
                threads, 20, queue, null);
        return new LinkService(store, config, registry, now::get, null);
    }

    @AfterEach
    void tearDown() {
        store.release();
        links.close();
    }

    private LinkDecision timedCompute(String best) {
        long t0 = System.nanoTime();
        LinkDecision d = links.computeLinkedPod(NS, "alice", "llama", pod -> true, () -> best);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("the decision waited for Redis")
                .isLessThan(NOT_BLOCKED);
        return d;
    }

    private double count(String name) {
        return registry.get(name).counter().count();
    }

    @Test
    void shouldAnswerWithoutStickinessWhenRedisMissesTheDeadlineAndCacheItsLateAnswer() throws Exception {
        fake.links.put(KEY, "pod-a");
        store.stall();

        LinkDecision d = timedCompute("pod-b");

        assertThat(d).isEqualTo(new LinkDecision("pod-b", Outcome.REDIS_UNAVAILABLE, false, false));
        assertThat(count("kvrelay.links.redis.late")).isEqualTo(1);
        assertThat(count("kvrelay.links.redis.errors")).as("late is not failed").isZero();

        store.release();
        awaitCached("pod-a");
        assertThat(timedCompute("pod-b")).isEqualTo(new LinkDecision("pod-a", Outcome.KEPT, true, true));
    }

    @Test
    void shouldLinkANewUserBehindTheCacheToThePodAnsweredWhileRedisWasLate() throws Exception {
        store.stall();

        assertThat(timedCompute("pod-b")).isEqualTo(new LinkDecision("pod-b", Outcome.REDIS_UNAVAILABLE, false, false));

        store.release();
        awaitCached("pod-b");
        assertThat(fake.links).containsEntry(KEY, "pod-b");
        assertThat(timedCompute("pod-c")).isEqualTo(new LinkDecision("pod-b", Outcome.KEPT, true, true));
    }

    @Test
    void shouldRefreshADueLinkBehindTheCacheNeverOnTheRequestThread() throws Exception {
        assertThat(timedCompute("pod-a").outcome()).isEqualTo(Outcome.CREATED);
        now.addAndGet(TimeUnit.SECONDS.toNanos(10)); // the touch is due
        store.stall();

        assertThat(timedCompute("pod-b")).isEqualTo(new LinkDecision("pod-a", Outcome.KEPT, true, true));
        assertThat(store.entered.await(NOT_BLOCKED.toMillis(), TimeUnit.MILLISECONDS))
                .as("the touch reached Redis, on another thread").isTrue();
        assertThat(timedCompute("pod-b")).isEqualTo(new LinkDecision("pod-a", Outcome.KEPT, true, true));
        assertThat(count("kvrelay.links.redis.late")).isZero();
    }

    @Test
    void shouldDropAndCountCallsPastTheQueueBoundInsteadOfPilingThemUp() {
        links.close();
        registry = new SimpleMeterRegistry(); // the gauge of the queue belongs to the first service's pool
        links = service(1, 1);
        store.stall();

        for (int i = 0; i < 5; i++) {
            LinkDecision d = links.computeLinkedPod(NS, "user-" + i, "llama", pod -> true, () -> "pod-b");
            assertThat(d.outcome()).isEqualTo(Outcome.REDIS_UNAVAILABLE);
        }

        assertThat(count("kvrelay.links.redis.dropped")).as("one call running, one queued, three refused")
                .isEqualTo(3);
        assertThat(registry.get("kvrelay.links.redis.queue").gauge().value()).isEqualTo(1);
    }

    private void awaitCached(String pod) throws InterruptedException {
        long deadline = System.nanoTime() + NOT_BLOCKED.toNanos();
        while (!links.getLinkedInCache(NS, "alice", "llama").equals(Optional.of(pod))) {
            assertThat(System.nanoTime()).as("the late answer reached the cache").isLessThan(deadline);
            Thread.sleep(5);
        }
    }

    /** Delegates to the fake, but holds every call while stalled: a Redis that stopped answering. */
    private static final class StalledStore implements LinkStore {
        private final FakeLinkStore delegate;
        private volatile CountDownLatch gate = new CountDownLatch(0);
        volatile CountDownLatch entered = new CountDownLatch(1);

        StalledStore(FakeLinkStore delegate) {
            this.delegate = delegate;
        }

        void stall() {
            entered = new CountDownLatch(1);
            gate = new CountDownLatch(1);
        }

        void release() {
            gate.countDown();
        }

        private void pass() {
            entered.countDown();
            try {
                gate.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new LinksUnavailableException("interrupted", e);
            }
        }

        @Override
        public Optional<String> get(LinkKey key) {
            pass();
            return delegate.get(key);
        }

        @Override
        public Optional<String> touch(LinkKey key) {
            pass();
            return delegate.touch(key);
        }

        @Override
        public LinkWrite setIfAbsent(LinkKey key, String pod) {
            pass();
            return delegate.setIfAbsent(key, pod);
        }

        @Override
        public LinkWrite compareAndSet(LinkKey key, String expectedPod, String newPod) {
            pass();
            return delegate.compareAndSet(key, expectedPod, newPod);
        }

        @Override
        public LinkWrite restore(LinkKey key, String pod) {
            pass();
            return delegate.restore(key, pod);
        }

        @Override
        public int delete(String namespace, String user) {
            pass();
            return delegate.delete(namespace, user);
        }

        @Override
        public Map<String, String> servicesOf(String namespace, String user) {
            pass();
            return delegate.servicesOf(namespace, user);
        }

        @Override
        public Map<String, List<String>> batchGet(String namespace, String service, Collection<String> users) {
            pass();
            return delegate.batchGet(namespace, service, users);
        }
    }
}
