package io.kvrelay.sim.serving;

import com.fasterxml.jackson.databind.JsonNode;
import io.kvrelay.tokenizer.HfTokenizer;
import java.nio.file.Path;

/**
 * A Hugging Face tokenizer as the simulated engine's: ids exactly as kvrelay's in-process tokenizer computes them
 * from the same files (and as vLLM would). Loaded only when a pod is given a tokenizer directory: the tokenizer
 * module is an optional dependency of the simulator.
 */
final class HuggingFacePrompts implements PromptTokenizer {
    private final HfTokenizer tokenizer;

    private HuggingFacePrompts(HfTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    static PromptTokenizer load(Path dir) {
        return new HuggingFacePrompts(HfTokenizer.load(dir, null));
    }

    @Override
    public int[] prompt(String text) {
        return tokenizer.encodePrompt(text);
    }

    @Override
    public int[] chat(JsonNode messages, boolean addGenerationPrompt) {
        return tokenizer.encodeChat(messages, addGenerationPrompt);
    }

    @Override
    public boolean inVocabulary(int id) {
        return id >= 0;
    }
}
