package io.kvrelay.sim.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvrelay.sim.SimPod;
import io.kvrelay.sim.SimPodConfig;
import io.kvrelay.sim.metrics.WorkerMetrics;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The engine's scheduling, observed through the pod's gauges and the order of finishes. Long phases are made
 * effectively endless (a minute) so a state can be watched without racing it; nothing asserts how fast anything is.
 */
class ServingEngineTest {
    private static final Duration DEADLINE = Duration.ofSeconds(30);
    private static final double FOREVER_MS = 60_000;

    private SimPod pod;
    private ServingEngine engine;

    @AfterEach
    void close() {
        if (engine != null) {
            engine.close();
        }
        if (pod != null) {
            pod.close();
        }
    }

    private void start(int ranks, TimeModel times) {
        pod = SimPod.start(SimPodConfig.builder("engine-test").dpRanks(ranks).replayBasePort(null).build());
        engine = new ServingEngine(pod, times);
    }

    private static int[] prompt(int seed, int tokens) {
        return IntStream.range(0, tokens).map(i -> 1000 + seed * 1000 + i).toArray();
    }

    private WorkerMetrics rank(int r) {
        return pod.workerMetrics().get(r);
    }

    private void await(String what, BooleanSupplier condition) {
        long until = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime() < until).as("waited " + DEADLINE + " for: " + what).isTrue();
            LockSupport.parkNanos(5_000_000);
        }
    }

    private void awaitLoad(int r, int running, int waiting) {
        await("rank " + r + " running " + running + ", waiting " + waiting,
                () -> rank(r).running() == running && rank(r).waiting() == waiting);
    }

    /** Records a request's tokens and its end. */
    static final class Recorder implements GenerationListener {
        final List<String> tokens = new CopyOnWriteArrayList<>();
        final CompletableFuture<Usage> done = new CompletableFuture<>();
        final List<Integer> finishOrder;
        final int id;

        Recorder(int id, List<Integer> finishOrder) {
            this.id = id;
            this.finishOrder = finishOrder;
        }

        @Override
        public void onToken(int index, int tokenId, String text, boolean last, Usage usageSoFar) {
            assertThat(index).isEqualTo(tokens.size());
            tokens.add(text);
        }

        @Override
        public void onFinished(Usage usage) {
            finishOrder.add(id);
            done.complete(usage);
        }

        @Override
        public void onFailed(Throwable cause) {
            done.completeExceptionally(cause);
        }
    }

    @Test
    void servesRequestsOfOneRankInArrivalOrderThroughOnePrefillSlot() throws Exception {
        start(1, new TimeModel(1.0, 0.0, 256));
        List<Integer> order = new CopyOnWriteArrayList<>();
        List<Recorder> recorders = IntStream.range(0, 5).mapToObj(i -> new Recorder(i, order)).toList();
        for (Recorder r : recorders) {
            engine.submit(prompt(r.id, 64), 3, r);
        }
        for (Recorder r : recorders) {
            Usage u = r.done.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
            assertThat(u).isEqualTo(new Usage(64, 3, 0));
            assertThat(r.tokens).hasSize(3).allMatch(t -> t.matches(" [a-z]+"));
        }
        // Decode takes no time here, so each request ends before the next one's prefill: the slot's order shows.
        assertThat(order).containsExactly(0, 1, 2, 3, 4);
        awaitLoad(0, 0, 0);
        assertThat(rank(0).heldBlocks()).isZero();
    }

    @Test
    void requestsWaitWhileTheSlotIsTakenAndCancellingFreesSlotAndGauges() {
        start(1, new TimeModel(FOREVER_MS, 0.0, 256));
        List<Integer> order = new CopyOnWriteArrayList<>();
        var first = engine.submit(prompt(1, 32), 1, new Recorder(1, order));
        var second = engine.submit(prompt(2, 32), 1, new Recorder(2, order));
        var third = engine.submit(prompt(3, 32), 1, new Recorder(3, order));
        awaitLoad(0, 1, 2);
        assertThat(rank(0).heldBlocks()).isEqualTo(2); // the prefilling request holds its two blocks

        first.cancel();
        awaitLoad(0, 1, 1); // the second took the slot
        third.cancel(); // leaves the queue
        awaitLoad(0, 1, 0);
        second.cancel();
        awaitLoad(0, 0, 0);
        assertThat(rank(0).heldBlocks()).isZero();
        second.cancel(); // idempotent
        assertThat(order).isEmpty();
    }

    @Test
    void decodesConcurrentlyUpToMaxRunningAndCancelsADecodingRequest() throws Exception {
        start(1, new TimeModel(0.0, FOREVER_MS, 2));
        List<Integer> order = new CopyOnWriteArrayList<>();
        Recorder a = new Recorder(1, order);
        var genA = engine.submit(prompt(1, 16), 2, a);
        engine.submit(prompt(2, 16), 2, new Recorder(2, order));
        engine.submit(prompt(3, 16), 2, new Recorder(3, order));
        awaitLoad(0, 2, 1); // two decoding (each got its first token), the third waits for a running place
        await("the first token of a", () -> a.tokens.size() == 1);

        genA.cancel();
        awaitLoad(0, 2, 0);
        assertThat(a.done).isNotDone();
        assertThat(engine.load(0)).containsExactly(0, 2);
    }

    @Test
    void sendsARequestToTheLeastLoadedRankAndReportsCachedTokensOfARepeatedPrompt() throws Exception {
        start(2, new TimeModel(FOREVER_MS, 0.0, 256));
        List<Integer> order = new CopyOnWriteArrayList<>();
        var g0 = engine.submit(prompt(1, 32), 1, new Recorder(1, order));
        var g1 = engine.submit(prompt(2, 32), 1, new Recorder(2, order));
        awaitLoad(0, 1, 0);
        awaitLoad(1, 1, 0);
        assertThat(List.of(g0.rank(), g1.rank())).containsExactlyInAnyOrder(0, 1);
        g0.cancel();
        g1.cancel();
        awaitLoad(0, 0, 0);
        awaitLoad(1, 0, 0);
        engine.close();

        engine = new ServingEngine(pod, new TimeModel(0.0, 0.0, 256));
        Recorder first = new Recorder(3, order);
        engine.submit(prompt(3, 40), 1, first);
        assertThat(first.done.get(DEADLINE.toSeconds(), TimeUnit.SECONDS).cachedTokens()).isZero();
        Recorder again = new Recorder(4, order);
        engine.submit(prompt(3, 40), 1, again); // rank 0 again: both ranks are idle, the lowest wins
        assertThat(again.done.get(DEADLINE.toSeconds(), TimeUnit.SECONDS).cachedTokens()).isEqualTo(32);
    }

    @Test
    void closingFailsTheRequestsStillServedAndRefusesNewOnes() throws Exception {
        start(1, new TimeModel(FOREVER_MS, 0.0, 256));
        Recorder r = new Recorder(1, new CopyOnWriteArrayList<>());
        engine.submit(prompt(1, 16), 1, r);
        awaitLoad(0, 1, 0);
        engine.close();
        assertThatThrownBy(() -> r.done.get(DEADLINE.toSeconds(), TimeUnit.SECONDS))
                .hasCauseInstanceOf(IllegalStateException.class);
        Recorder late = new Recorder(2, new CopyOnWriteArrayList<>());
        engine.submit(prompt(2, 16), 1, late);
        assertThatThrownBy(() -> late.done.get(DEADLINE.toSeconds(), TimeUnit.SECONDS))
                .hasCauseInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> engine.submit(new int[0], 1, late)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TimeModel(-1, 0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TimeModel(0, 0, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
