package io.kvrelay.router.openai;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;

/**
 * A model's tokenizer in the router's process (faster than asking a pod): a text prompt's ids, and a chat's through
 * the model's chat template, as vLLM's {@code /tokenize} computes them by default.
 */
public interface LocalTokenizer {
    int[] prompt(String text);

    /** @throws IllegalArgumentException when the template refuses the messages */
    int[] chat(JsonNode messages, boolean addGenerationPrompt);

    /**
     * The tokenizer in {@code dir} (kvrelay's tokenizer module: an optional dependency of the router, in its image).
     *
     * @throws IllegalArgumentException when this build has no tokenizer module, or the files are not a tokenizer
     */
    static LocalTokenizer load(String dir) {
        try {
            Class.forName("io.kvrelay.tokenizer.HfTokenizer", false, LocalTokenizer.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalArgumentException("openai.tokenizers needs kvrelay's tokenizer module, which this build "
                    + "of the router does not carry (the router's image does; kvrelay.jar does not)");
        }
        return HuggingFaceTokenizer.load(Path.of(dir));
    }
}
