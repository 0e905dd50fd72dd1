package io.kvrelay.router.openai;

import com.fasterxml.jackson.databind.JsonNode;
import io.kvrelay.tokenizer.HfTokenizer;
import java.nio.file.Path;

/** {@link LocalTokenizer} from a Hugging Face model's files; loaded only when a model is configured with one. */
final class HuggingFaceTokenizer implements LocalTokenizer {
    private final HfTokenizer tokenizer;

    private HuggingFaceTokenizer(HfTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    static LocalTokenizer load(Path dir) {
        return new HuggingFaceTokenizer(HfTokenizer.load(dir, null));
    }

    @Override
    public int[] prompt(String text) {
        return tokenizer.encodePrompt(text);
    }

    @Override
    public int[] chat(JsonNode messages, boolean addGenerationPrompt) {
        return tokenizer.encodeChat(messages, addGenerationPrompt);
    }
}
