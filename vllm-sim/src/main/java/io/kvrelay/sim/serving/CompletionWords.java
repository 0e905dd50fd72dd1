package io.kvrelay.sim.serving;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * What a simulated model "generates": words from a small English list, each token's text {@code " word"}, chosen
 * deterministically from the prompt, so the same prompt always gets the same answer (and a replayed conversation
 * builds the same turn-2 prompt). The words' ids are their pieces' hashes, so the tokenizer can decode them.
 */
public final class CompletionWords {
    static final List<String> WORDS = List.of("the", "cache", "router", "block", "prefix", "token", "model", "fleet",
            "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "and", "a", "small", "large", "fast", "slow",
            "request", "answer", "pod", "rank", "event", "queue", "stream", "prompt", "warm", "cold", "hit", "miss",
            "time", "batch", "node", "light", "river", "stone", "cloud", "green", "blue", "red", "north", "south",
            "east", "west", "paper", "window", "garden", "music", "story", "bright", "quiet", "simple", "open",
            "close", "early", "late", "near", "far", "good", "new", "old");

    private static final int[] IDS = new int[WORDS.size()];
    private static final Map<Integer, String> TEXT = new HashMap<>();

    static {
        for (int i = 0; i < WORDS.size(); i++) {
            String text = " " + WORDS.get(i);
            IDS[i] = SimTokenizer.pieceId(text);
            // A collision would make a generated id decode to another word: fail loudly at class load instead.
            if (TEXT.put(IDS[i], text) != null) {
                throw new IllegalStateException("two generated words hash to token " + IDS[i]);
            }
        }
    }

    private final SplittableRandom random;

    /** The words for one request: seeded by its prompt, so equal prompts get equal answers. */
    public CompletionWords(int[] prompt) {
        this.random = new SplittableRandom(SimTokenizer.fnv1a(prompt));
    }

    /** The next generated token id. */
    public int next() {
        return IDS[random.nextInt(IDS.length)];
    }

    /** The text ({@code " word"}) of a generated token, or null if {@code id} is not one. */
    public static String text(int id) {
        return TEXT.get(id);
    }
}
