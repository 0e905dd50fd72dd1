package io.kvrelay.sim.serving;

import io.kvrelay.sim.ServedPrompt;
import io.kvrelay.sim.SimPod;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The time model of a simulated pod's serving (see {@link TimeModel}). Per data-parallel rank: one prefill slot,
 * taken first come first served; a request waits (vLLM's {@code num_requests_waiting}) until the slot is free and
 * fewer than {@code maxRunning} run. At the start of its prefill it runs: the cache model serves its prompt (and the
 * pod publishes the KV events, as vLLM does when the blocks are allocated), it holds its blocks, and the prefill lasts
 * for its uncached blocks only. It then decodes one token per step, concurrently with the other running requests,
 * until it has {@code maxTokens}, and releases its blocks. A cancelled request leaves at once, whatever its phase.
 *
 * <p>All state lives on one scheduler thread per pod: the timers of every request are tasks on it, never a thread
 * per request, and no lock is needed. A request goes to the rank with the fewest running + waiting requests of this
 * engine (the lowest rank on a tie), as vLLM's DP coordinator balances by queue length.
 */
public final class ServingEngine implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ServingEngine.class);

    /** A submitted request: cancel it when its client goes. */
    public interface Generation {
        /** Leaves the queue, or stops the prefill or decode, freeing the slot and the gauges; idempotent. */
        void cancel();

        /** The rank serving it, or -1 until the engine has placed it. */
        int rank();
    }

    private enum Phase { NEW, WAITING, PREFILL, DECODE, DONE }

    private final SimPod pod;
    private final TimeModel times;
    private final int blockSize;
    private final ScheduledExecutorService scheduler;
    private final List<RankQueue> ranks = new ArrayList<>();

    public ServingEngine(SimPod pod, TimeModel times) {
        this.pod = pod;
        this.times = times;
        this.blockSize = pod.config().blockSize();
        for (int r = 0; r < pod.ranks(); r++) {
            ranks.add(new RankQueue(r));
        }
        this.scheduler = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread t = new Thread(task, "kvsim-engine-" + pod.config().pod());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Queues a request of {@code prompt} tokens that generates {@code maxTokens} tokens; {@code listener} hears its
     * tokens and its end on the scheduler thread.
     */
    public Generation submit(int[] prompt, int maxTokens, GenerationListener listener) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt is empty");
        }
        if (maxTokens < 1) {
            throw new IllegalArgumentException("maxTokens must be >= 1, got " + maxTokens);
        }
        Job job = new Job(prompt.clone(), maxTokens, listener);
        run(() -> enqueue(job), job);
        return job;
    }

    /** How many requests of this engine are waiting and running on {@code rank}, read on the scheduler thread. */
    public int[] load(int rank) throws InterruptedException {
        try {
            return scheduler.submit(() -> new int[] {ranks.get(rank).waiting.size(), ranks.get(rank).running.size()})
                    .get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("the engine did not answer", e);
        }
    }

    private void enqueue(Job job) {
        if (job.phase == Phase.DONE) {
            return; // cancelled before it was placed
        }
        RankQueue r = ranks.get(0);
        for (RankQueue q : ranks) {
            if (q.load() < r.load()) {
                r = q;
            }
        }
        job.rank = r.index;
        job.phase = Phase.WAITING;
        r.waiting.addLast(job);
        pod.addLoad(r.index, 0, 1);
        admit(r);
    }

    /** Starts the next prefill if the slot is free and a running place is left. */
    private void admit(RankQueue r) {
        while (r.prefilling == null && r.running.size() < times.maxRunning() && !r.waiting.isEmpty()) {
            startPrefill(r, r.waiting.pollFirst());
        }
    }

    private void startPrefill(RankQueue r, Job job) {
        ServedPrompt served;
        try {
            served = pod.serveCounted(r.index, job.prompt, null);
        } catch (RuntimeException e) {
            pod.addLoad(r.index, 0, -1);
            job.phase = Phase.DONE;
            notify(job, () -> job.listener.onFailed(e));
            return;
        }
        job.heldBlocks = served.cacheableBlocks();
        int cached = Math.min(job.prompt.length, served.hitBlocks() * blockSize);
        job.usage = new Usage(job.prompt.length, 0, cached);
        pod.admitRequest(r.index, job.heldBlocks);
        job.phase = Phase.PREFILL;
        r.prefilling = job;
        r.running.add(job);
        job.timer = schedule(() -> prefillDone(r, job), times.prefillNanos(job.prompt.length - cached, blockSize));
    }

    private void prefillDone(RankQueue r, Job job) {
        if (job.phase != Phase.PREFILL) {
            return;
        }
        r.prefilling = null;
        job.phase = Phase.DECODE;
        // vLLM samples the first token from the prefill's last position: it comes out at the end of the prefill.
        emitToken(r, job);
        admit(r);
    }

    private void emitToken(RankQueue r, Job job) {
        if (job.phase != Phase.DECODE) {
            return;
        }
        int index = job.produced++;
        int token = job.words.next();
        boolean last = job.produced == job.maxTokens;
        Usage soFar = new Usage(job.usage.promptTokens(), job.produced, job.usage.cachedTokens());
        notify(job, () -> job.listener.onToken(index, token, CompletionWords.text(token), last, soFar));
        if (job.phase != Phase.DECODE) {
            return; // the listener failed and the request was cancelled
        }
        if (last) {
            release(r, job);
            notify(job, () -> job.listener.onFinished(soFar));
            admit(r);
        } else {
            job.timer = schedule(() -> emitToken(r, job), times.decodeNanos());
        }
    }

    private void cancelNow(Job job) {
        switch (job.phase) {
            case NEW -> job.phase = Phase.DONE;
            case WAITING -> {
                RankQueue r = ranks.get(job.rank);
                r.waiting.remove(job);
                pod.addLoad(r.index, 0, -1);
                job.phase = Phase.DONE;
            }
            case PREFILL, DECODE -> {
                RankQueue r = ranks.get(job.rank);
                if (r.prefilling == job) {
                    r.prefilling = null;
                }
                job.timer.cancel(false);
                release(r, job);
                admit(r);
            }
            case DONE -> { }
        }
    }

    /** The running request ends: its place and its blocks are free (they stay cached). */
    private void release(RankQueue r, Job job) {
        job.phase = Phase.DONE;
        r.running.remove(job);
        pod.endRequest(r.index, job.heldBlocks);
    }

    private ScheduledFuture<?> schedule(Runnable task, long nanos) {
        return scheduler.schedule(task, nanos, TimeUnit.NANOSECONDS);
    }

    private void run(Runnable task, Job job) {
        try {
            scheduler.execute(task);
        } catch (RejectedExecutionException e) {
            job.listener.onFailed(new IllegalStateException("the pod's serving engine is closed"));
        }
    }

    /**
     * Runs a listener callback. One that throws must not stop the scheduler or the other requests: its request is
     * cancelled (nobody is left to hear it).
     */
    private void notify(Job job, Runnable callback) {
        try {
            callback.run();
        } catch (RuntimeException e) {
            LOG.warn("a listener of a simulated request failed; cancelling the request", e);
            cancelNow(job);
        }
    }

    /** Stops serving: requests not finished hear {@link GenerationListener#onFailed}; gauges are left as they are. */
    @Override
    public void close() {
        if (scheduler.isShutdown()) {
            return;
        }
        try {
            scheduler.submit(() -> {
                IllegalStateException closed = new IllegalStateException("the pod closed");
                for (RankQueue r : ranks) {
                    for (Job j : r.all()) {
                        j.phase = Phase.DONE;
                        try {
                            j.listener.onFailed(closed);
                        } catch (RuntimeException e) {
                            LOG.warn("a listener of a simulated request failed", e);
                        }
                    }
                }
            }).get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.warn("the serving engine of {} did not stop in time", pod.id(), e);
        } finally {
            scheduler.shutdownNow();
        }
    }

    private final class Job implements Generation {
        final int[] prompt;
        final int maxTokens;
        final GenerationListener listener;
        final CompletionWords words;
        volatile int rank = -1;
        Phase phase = Phase.NEW;
        ScheduledFuture<?> timer;
        int heldBlocks;
        int produced;
        Usage usage;

        Job(int[] prompt, int maxTokens, GenerationListener listener) {
            this.prompt = prompt;
            this.maxTokens = maxTokens;
            this.listener = listener;
            this.words = new CompletionWords(prompt);
        }

        @Override
        public void cancel() {
            try {
                scheduler.execute(() -> cancelNow(this));
            } catch (RejectedExecutionException e) {
                // closed: nothing runs any more
            }
        }

        @Override
        public int rank() {
            return rank;
        }
    }

    /** One rank's queue, slot and running count; touched only on the scheduler thread. */
    private static final class RankQueue {
        final int index;
        final ArrayDeque<Job> waiting = new ArrayDeque<>();
        /** Prefilling or decoding: what vLLM counts as running. */
        final Set<Job> running = new LinkedHashSet<>();
        Job prefilling;

        RankQueue(int index) {
            this.index = index;
        }

        int load() {
            return waiting.size() + running.size();
        }

        List<Job> all() {
            List<Job> out = new ArrayList<>(waiting);
            out.addAll(running);
            return out;
        }
    }
}
