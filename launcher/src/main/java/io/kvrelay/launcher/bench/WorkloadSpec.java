package io.kvrelay.launcher.bench;

import io.kvrelay.sim.WorkloadGenerator;
import java.util.List;

/**
 * The benchmark's workload and fleet, validated at construction: multi-turn chat with shared system prompts on
 * {@code services × podsPerService} simulated pods, requests evenly spaced at {@code rate} for {@code durationSeconds}.
 *
 * @param users               open conversations per service (the generator's {@code maxConversations}): each is one
 *                            user, whose id is {@code <service>-user-<conversation>}
 * @param followUpProbability chance a request is the next turn of an open conversation rather than a new one
 * @param maxPromptTokens     a conversation whose next turn would exceed this ends (bounds turns per conversation)
 * @param outputTokens        reply tokens per request: decoded by the pod, and resent in the next turn's prompt
 * @param capacityBlocks      KV-cache capacity of each pod, in 16-token blocks
 */
public record WorkloadSpec(List<String> services, int podsPerService, int users, int systemPrompts,
                           int systemPromptTokens, int userTokensMin, int userTokensMax, int outputTokens,
                           double followUpProbability, int maxPromptTokens, int capacityBlocks, double rate,
                           int durationSeconds, long seed) {
    public static final int BLOCK_SIZE = 16;
    /** Share of new conversations that start with one of the shared system prompts. */
    public static final double SYSTEM_PROMPT_PROBABILITY = 0.8;
    private static final int VOCAB = 32_000;

    public WorkloadSpec {
        if (services == null || services.isEmpty()) {
            throw new IllegalArgumentException("at least one service");
        }
        services = List.copyOf(services);
        positive("podsPerService", podsPerService);
        positive("users", users);
        positive("userTokensMin", userTokensMin);
        positive("maxPromptTokens", maxPromptTokens);
        positive("durationSeconds", durationSeconds);
        if (systemPrompts < 0 || systemPromptTokens < 0 || outputTokens < 0) {
            throw new IllegalArgumentException("systemPrompts, systemPromptTokens and outputTokens must be >= 0");
        }
        if (userTokensMax < userTokensMin) {
            throw new IllegalArgumentException("userTokensMax " + userTokensMax + " < userTokensMin " + userTokensMin);
        }
        if (!(followUpProbability >= 0 && followUpProbability <= 1)) {
            throw new IllegalArgumentException("followUpProbability must be in [0, 1], got " + followUpProbability);
        }
        if (capacityBlocks < 16) {
            throw new IllegalArgumentException("capacityBlocks must be >= 16, got " + capacityBlocks);
        }
        if (!(rate > 0 && rate <= 10_000)) {
            throw new IllegalArgumentException("rate must be in (0, 10000] requests/s, got " + rate);
        }
    }

    /** Requests in the stream: rate × duration. */
    public int requestCount() {
        return Math.max(1, (int) Math.round(rate * durationSeconds));
    }

    public int pods() {
        return services.size() * podsPerService;
    }

    /** The simulator's generator settings for one service. */
    public WorkloadGenerator.Settings generatorSettings() {
        return new WorkloadGenerator.Settings(VOCAB, systemPrompts, systemPromptTokens, userTokensMin, userTokensMax,
                outputTokens, followUpProbability, SYSTEM_PROMPT_PROBABILITY, users, maxPromptTokens, List.of(), 0);
    }

    private static void positive(String what, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException(what + " must be > 0, got " + v);
        }
    }
}
