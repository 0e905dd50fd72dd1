package io.kvrelay.launcher.demo;

import io.kvrelay.launcher.client.FrontDoorClient;
import io.kvrelay.launcher.client.RouterClient;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The demo's clients: multi-turn chat conversations with shared system prompts ({@link ChatConversations}, one set
 * per service), sent to the router's OpenAI front door as an application would send them (streamed, the user in
 * {@code x-user-id}). The router tokenizes, routes and proxies each to a simulated pod, whose engine prefills the
 * uncached blocks, decodes the answer and publishes the KV events; the pod's answer says which tokens were cached.
 */
public final class DemoWorkload implements AutoCloseable {
    private static final int BLOCK_SIZE = 16;
    /** Tokens per answer: at the simulator's 5 ms per token, a request runs about a third of a second. */
    private static final int REPLY_TOKENS = 64;
    /** Requests under way at most; past it a tick is skipped (pods slower than the rate asked). */
    private static final int MAX_PENDING = 1_024;

    private final List<String> services;
    private final Map<String, ChatConversations> conversations = new LinkedHashMap<>();
    private final RouterClient router;
    private final FrontDoorClient frontDoor;
    private final DemoStats stats;
    private final ScheduledExecutorService pool = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "demo-client");
        t.setDaemon(true);
        return t;
    });
    private final AtomicInteger next = new AtomicInteger();
    private final Semaphore pending = new Semaphore(MAX_PENDING);

    public DemoWorkload(String namespace, List<String> services, int routerPort, long seed, DemoStats stats) {
        this.services = List.copyOf(services);
        for (int i = 0; i < services.size(); i++) {
            conversations.put(services.get(i), new ChatConversations(seed + i));
        }
        this.router = new RouterClient(routerPort, namespace);
        this.frontDoor = new FrontDoorClient(routerPort);
        this.stats = stats;
    }

    /**
     * Waits until the router sees {@code pods} routable pods in every service: the bridge reports each pod's status
     * about once a second, and a request before that would be refused (no routable pod).
     *
     * @return false if that did not happen within {@code timeout}
     */
    public boolean awaitRoutable(int pods, Duration timeout) throws InterruptedException {
        return router.awaitRoutable(services, pods, timeout);
    }

    /** Sends {@code ratePerSecond} requests per second, spread over the services, until {@link #close()}. */
    public void start(double ratePerSecond) {
        long periodMicros = Math.max(1, (long) (1e6 / ratePerSecond));
        pool.scheduleAtFixedRate(this::oneRequest, 0, periodMicros, TimeUnit.MICROSECONDS);
    }

    private void oneRequest() {
        if (!pending.tryAcquire()) {
            return;
        }
        String service = services.get(Math.floorMod(next.getAndIncrement(), services.size()));
        ChatConversations chats = conversations.get(service);
        ChatConversations.Turn turn = chats.next();
        String user = service + "-user-" + turn.conversation();
        // The model name is the service's: the demo's pods serve it under that name.
        frontDoor.chat(service, user, turn.messages(), REPLY_TOKENS).whenComplete((a, e) -> {
            try {
                if (e != null) {
                    Throwable c = e.getCause() != null ? e.getCause() : e;
                    stats.failed(c.getClass().getSimpleName() + ": " + c.getMessage());
                    return;
                }
                chats.answered(turn, a.content());
                stats.served(a.pod(), a.ttftNanos(), a.promptTokens() / BLOCK_SIZE, a.cachedTokens() / BLOCK_SIZE,
                        a.reason().startsWith("sticky"));
            } finally {
                pending.release();
            }
        });
    }

    @Override
    public void close() {
        // The rate stops; requests under way end on their own (a few hundred ms) and are waited for, so the pods
        // report nothing running afterwards (demo --keep-running leaves them up for trying the API by hand).
        pool.shutdownNow();
        try {
            if (pending.tryAcquire(MAX_PENDING, 30, TimeUnit.SECONDS)) {
                pending.release(MAX_PENDING);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
