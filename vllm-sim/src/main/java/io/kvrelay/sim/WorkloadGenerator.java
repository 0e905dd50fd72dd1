package io.kvrelay.sim;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Seeded, reproducible prompts with the reuse structure that makes prefix-aware routing matter: a few system prompts
 * shared by many conversations, multi-turn conversations whose next prompt extends the previous one, plain random
 * prompts, and optional LoRA adapters (a conversation keeps its adapter). Not thread-safe.
 */
public final class WorkloadGenerator {

    /**
     * @param continueProbability     chance the next request is the next turn of an open conversation
     * @param systemPromptProbability chance a new conversation starts with one of the shared system prompts
     * @param loraProbability         chance a new conversation uses one of {@code loras}
     * @param maxPromptTokens         a conversation that would grow beyond this ends (its turn starts a new one)
     */
    public record Settings(int vocabSize, int systemPrompts, int systemPromptTokens, int userTokensMin,
                           int userTokensMax, int replyTokens, double continueProbability,
                           double systemPromptProbability, int maxConversations, int maxPromptTokens,
                           List<String> loras, double loraProbability) {
        public Settings {
            loras = List.copyOf(Objects.requireNonNull(loras, "loras"));
            positive("vocabSize", vocabSize);
            positive("maxConversations", maxConversations);
            positive("userTokensMin", userTokensMin);
            positive("maxPromptTokens", maxPromptTokens);
            if (systemPrompts < 0 || systemPromptTokens < 0 || replyTokens < 0) {
                throw new IllegalArgumentException("systemPrompts, systemPromptTokens and replyTokens must be >= 0");
            }
            if (userTokensMax < userTokensMin) {
                throw new IllegalArgumentException("userTokensMax " + userTokensMax + " < userTokensMin "
                        + userTokensMin);
            }
            probability("continueProbability", continueProbability);
            probability("systemPromptProbability", systemPromptProbability);
            probability("loraProbability", loraProbability);
            if (loraProbability > 0 && loras.isEmpty()) {
                throw new IllegalArgumentException("loraProbability > 0 needs at least one LoRA name");
            }
        }

        /** 4 system prompts of 512 tokens, 32-256 user tokens, 128 reply tokens, 60% follow-ups, no LoRA. */
        public static Settings defaults() {
            return new Settings(32_000, 4, 512, 32, 256, 128, 0.6, 0.8, 256, 8192, List.of(), 0);
        }

        public Settings withLoras(List<String> names, double probability) {
            return new Settings(vocabSize, systemPrompts, systemPromptTokens, userTokensMin, userTokensMax,
                    replyTokens, continueProbability, systemPromptProbability, maxConversations, maxPromptTokens,
                    names, probability);
        }

        private static void positive(String what, int v) {
            if (v <= 0) {
                throw new IllegalArgumentException(what + " must be > 0, got " + v);
            }
        }

        private static void probability(String what, double p) {
            if (!(p >= 0 && p <= 1)) {
                throw new IllegalArgumentException(what + " must be in [0, 1], got " + p);
            }
        }
    }

    /** One request: its full prompt tokens, its adapter (null for the base model) and which turn of what. */
    public record Request(int[] tokens, String lora, long conversation, int turn) {
    }

    private final Settings settings;
    private final SplittableRandom random;
    private final int[][] systemPrompts;
    private final List<Request> open = new ArrayList<>();
    private long conversations;

    public WorkloadGenerator(Settings settings, long seed) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.random = new SplittableRandom(seed);
        this.systemPrompts = new int[settings.systemPrompts()][];
        for (int i = 0; i < systemPrompts.length; i++) {
            systemPrompts[i] = randomTokens(settings.systemPromptTokens());
        }
    }

    public Request next() {
        if (!open.isEmpty() && random.nextDouble() < settings.continueProbability()) {
            int slot = random.nextInt(open.size());
            Request prev = open.get(slot);
            // The next turn resends the whole history: previous prompt, the model's reply, the new user message.
            int[] tail = randomTokens(settings.replyTokens() + userLength());
            if (prev.tokens().length + tail.length <= settings.maxPromptTokens()) {
                int[] tokens = Arrays.copyOf(prev.tokens(), prev.tokens().length + tail.length);
                System.arraycopy(tail, 0, tokens, prev.tokens().length, tail.length);
                Request next = new Request(tokens, prev.lora(), prev.conversation(), prev.turn() + 1);
                open.set(slot, next);
                return next;
            }
            open.remove(slot);
        }
        return startConversation();
    }

    private Request startConversation() {
        int[] system = systemPrompts.length > 0 && random.nextDouble() < settings.systemPromptProbability()
                ? systemPrompts[random.nextInt(systemPrompts.length)] : new int[0];
        int[] user = randomTokens(userLength());
        int[] tokens = Arrays.copyOf(system, Math.min(system.length + user.length, settings.maxPromptTokens()));
        System.arraycopy(user, 0, tokens, system.length, tokens.length - system.length);
        String lora = settings.loraProbability() > 0 && random.nextDouble() < settings.loraProbability()
                ? settings.loras().get(random.nextInt(settings.loras().size())) : null;
        Request request = new Request(tokens, lora, conversations++, 0);
        if (open.size() == settings.maxConversations()) {
            open.remove(random.nextInt(open.size()));
        }
        open.add(request);
        return request;
    }

    private int userLength() {
        return settings.userTokensMin() + random.nextInt(settings.userTokensMax() - settings.userTokensMin() + 1);
    }

    private int[] randomTokens(int n) {
        int[] tokens = new int[n];
        for (int i = 0; i < n; i++) {
            tokens[i] = random.nextInt(settings.vocabSize());
        }
        return tokens;
    }
}
