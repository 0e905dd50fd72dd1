package io.kvrelay.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.TokenizersLibrary;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's tokenizer in this process, from the files a Hugging Face model ships: {@code tokenizer.json} (the
 * tokenizer itself, run by Hugging Face's Rust library through DJL) and, for chats, {@code tokenizer_config.json}
 * (its {@code chat_template} and special tokens). Token ids come out as vLLM's {@code /tokenize} computes them: a
 * prompt with the tokenizer's special tokens (BOS...), a chat rendered by the template and then encoded without them
 * (the template writes its own). Nothing is downloaded: the native library comes from the jar. Thread-safe.
 */
public final class HfTokenizer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HuggingFaceTokenizer withSpecials;
    private final HuggingFaceTokenizer plain;
    private final ChatTemplate template;

    private HfTokenizer(HuggingFaceTokenizer withSpecials, HuggingFaceTokenizer plain, ChatTemplate template) {
        this.withSpecials = withSpecials;
        this.plain = plain;
        this.template = template;
    }

    /**
     * Loads {@code dir/tokenizer.json} and, when present, {@code dir/tokenizer_config.json}.
     *
     * @param chatTemplate a template replacing the one in tokenizer_config.json (vLLM's {@code --chat-template}); null
     *                     = the model's own
     */
    public static HfTokenizer load(Path dir, String chatTemplate) {
        Path file = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no tokenizer.json in " + dir.toAbsolutePath());
        }
        NativeLibrary.offline();
        try {
            HuggingFaceTokenizer with = HuggingFaceTokenizer.builder().optTokenizerPath(file)
                    .optAddSpecialTokens(true).optTruncation(false).optPadding(false).build();
            HuggingFaceTokenizer without = HuggingFaceTokenizer.builder().optTokenizerPath(file)
                    .optAddSpecialTokens(false).optTruncation(false).optPadding(false).build();
            return new HfTokenizer(with, without, template(dir.resolve("tokenizer_config.json"), chatTemplate));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load " + file, e);
        }
    }

    private static ChatTemplate template(Path config, String override) throws IOException {
        Map<String, String> specials = new LinkedHashMap<>();
        String text = override;
        if (Files.isRegularFile(config)) {
            JsonNode c = JSON.readTree(config.toFile());
            for (String name : List.of("bos_token", "eos_token", "unk_token", "pad_token")) {
                JsonNode t = c.get(name);
                // A special token is a string or an AddedToken object with its content.
                String v = t == null ? null : t.isTextual() ? t.asText() : t.path("content").asText(null);
                if (v != null) {
                    specials.put(name, v);
                }
            }
            if (text == null && c.path("chat_template").isTextual()) {
                text = c.get("chat_template").asText();
            }
        }
        return text == null ? null : new ChatTemplate(text, specials);
    }

    /** A prompt's token ids, the tokenizer's special tokens added (vLLM's default for a text prompt). */
    public int[] encodePrompt(String text) {
        return ids(withSpecials, text, true);
    }

    /** A chat's token ids: the template's text encoded without special tokens (vLLM's default for a chat). */
    public int[] encodeChat(JsonNode messages, boolean addGenerationPrompt) {
        return ids(plain, renderChat(messages, addGenerationPrompt), false);
    }

    /**
     * The ids alone, through the binding's native calls: its {@code encode} also copies every token's text, offsets,
     * type ids and masks into Java, which took most of the time for a long prompt and is never used here.
     */
    private static int[] ids(HuggingFaceTokenizer t, String text, boolean addSpecialTokens) {
        long encoding = TokenizersLibrary.LIB.encode(t.getHandle(), text, addSpecialTokens);
        try {
            return ints(TokenizersLibrary.LIB.getTokenIds(encoding));
        } finally {
            TokenizersLibrary.LIB.deleteEncoding(encoding);
        }
    }

    /** The template's text for {@code messages} (OpenAI's shape). */
    @SuppressWarnings("unchecked")
    public String renderChat(JsonNode messages, boolean addGenerationPrompt) {
        if (template == null) {
            throw new IllegalStateException("this tokenizer has no chat template (tokenizer_config.json's "
                    + "chat_template, or one given)");
        }
        if (messages == null || !messages.isArray()) {
            throw new IllegalArgumentException("messages must be an array");
        }
        List<Map<String, Object>> list = JSON.convertValue(messages, List.class);
        for (Map<String, Object> m : list) {
            // A content given as parts ([{type: text, text}...]) is their text, as vLLM flattens it for templates
            // that expect a string.
            if (m.get("content") instanceof List<?> parts) {
                StringBuilder sb = new StringBuilder();
                for (Object p : parts) {
                    if (p instanceof Map<?, ?> part && "text".equals(part.get("type"))) {
                        sb.append(sb.length() == 0 ? "" : "\n").append(part.get("text"));
                    }
                }
                m.put("content", sb.toString());
            }
        }
        return template.render(list, addGenerationPrompt);
    }

    public boolean hasChatTemplate() {
        return template != null;
    }

    private static int[] ints(long[] ids) {
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = Math.toIntExact(ids[i]);
        }
        return out;
    }

    @Override
    public void close() {
        withSpecials.close();
        plain.close();
    }
}
