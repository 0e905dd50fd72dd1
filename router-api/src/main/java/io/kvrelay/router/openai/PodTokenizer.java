package io.kvrelay.router.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.kvrelay.router.state.PodInfo;
import io.kvrelay.http.client.UpstreamClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A prompt's token ids exactly as the engine will compute them: asked of a pod of the service (vLLM's
 * {@code POST /tokenize}, which applies the model's tokenizer and, for {@code messages}, its chat template), cached by
 * the question asked, under a deadline. Pods are asked in turn, so no one pod tokenizes for the whole fleet.
 */
public final class PodTokenizer {
    /** A 1M-token prompt's ids as JSON, with room. */
    private static final int MAX_ANSWER_BYTES = 16 * 1024 * 1024;

    private final UpstreamClient http;
    private final ObjectMapper json;
    private final Duration deadline;
    private final Cache<String, int[]> cache;
    private final AtomicInteger turn = new AtomicInteger();

    public PodTokenizer(UpstreamClient http, ObjectMapper json, Duration deadline, long cacheTokens) {
        this.http = http;
        this.json = json;
        this.deadline = deadline;
        this.cache = Caffeine.newBuilder().maximumWeight(cacheTokens)
                .weigher((String k, int[] v) -> v.length + k.length() / 4 + 16).executor(Runnable::run).build();
    }

    /**
     * The token ids of {@code question} ({@code /tokenize}'s body: model and prompt, or model, messages and the
     * template's options) from one of {@code pods}; fails when none is reachable or the deadline passes.
     */
    public CompletableFuture<int[]> tokens(String service, JsonNode question, List<PodInfo> pods) {
        String key = service + '\n' + question;
        int[] known = cache.getIfPresent(key);
        if (known != null) {
            return CompletableFuture.completedFuture(known);
        }
        List<PodInfo> able = pods.stream().filter(p -> p.routable() && p.address() != null).toList();
        if (able.isEmpty()) {
            return CompletableFuture.failedFuture(new IllegalStateException("no routable pod to tokenize with"));
        }
        PodInfo pod = able.get(Math.floorMod(turn.getAndIncrement(), able.size()));
        byte[] body;
        try {
            body = json.writeValueAsBytes(question);
        } catch (java.io.IOException e) {
            return CompletableFuture.failedFuture(e);
        }
        PodAddress at = PodAddress.parse(pod.address());
        int[] status = new int[1];
        return http.exchange(at.host(), at.port(), "POST", "/tokenize", Map.of("content-type", "application/json"),
                        body, deadline.toMillis(), MAX_ANSWER_BYTES, status)
                .orTimeout(deadline.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
                .thenApply(answer -> {
                    if (status[0] != 200) {
                        throw new IllegalStateException(pod.pod() + " answered /tokenize with " + status[0]);
                    }
                    int[] ids = parse(answer, pod);
                    cache.put(key, ids);
                    return ids;
                });
    }

    private int[] parse(byte[] body, PodInfo pod) {
        try {
            JsonNode tokens = json.readTree(body).path("tokens");
            if (!tokens.isArray()) {
                throw new IllegalStateException(pod.pod() + "'s /tokenize answer has no tokens array");
            }
            int[] ids = new int[tokens.size()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = tokens.get(i).asInt();
            }
            return ids;
        } catch (java.io.IOException e) {
            throw new IllegalStateException(pod.pod() + "'s /tokenize answer is not JSON: " + e.getMessage());
        }
    }
}
