package io.kvrelay.sim.serving;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;

/**
 * How the simulated engine turns a request into token ids: a completion's text prompt, or a chat's messages through
 * the chat template. The simulator's own tokenizer by default; a real Hugging Face tokenizer when one is given, so a
 * test can check kvrelay's in-process tokenization against the pod's {@code /tokenize} as it would against vLLM's.
 */
public interface PromptTokenizer {
    /** A text prompt's ids (vLLM adds the tokenizer's special tokens). */
    int[] prompt(String text);

    /**
     * A chat's ids: the template's text, encoded.
     *
     * @throws IllegalArgumentException when the template refuses the messages
     */
    int[] chat(JsonNode messages, boolean addGenerationPrompt);

    /** Whether a prompt given as ids may hold {@code id}. */
    boolean inVocabulary(int id);

    /** The simulator's tokenizer ({@link SimTokenizer}) and ChatML template ({@link ChatTemplate}). */
    PromptTokenizer SIMULATED = new PromptTokenizer() {
        @Override
        public int[] prompt(String text) {
            return SimTokenizer.encode(text);
        }

        @Override
        public int[] chat(JsonNode messages, boolean addGenerationPrompt) {
            return SimTokenizer.encode(ChatTemplate.render(messages, addGenerationPrompt));
        }

        @Override
        public boolean inVocabulary(int id) {
            return SimTokenizer.inVocabulary(id);
        }
    };

    /** {@code dir}'s tokenizer.json and chat template (kvrelay's tokenizer module, optional for the simulator). */
    static PromptTokenizer of(String dir) {
        if (dir == null) {
            return SIMULATED;
        }
        try {
            Class.forName("io.kvrelay.tokenizer.HfTokenizer", false, PromptTokenizer.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalArgumentException("a tokenizer directory needs kvrelay's tokenizer module, which this "
                    + "build of the simulator does not carry (the vllm-sim image does)");
        }
        return HuggingFacePrompts.load(Path.of(dir));
    }
}
