package io.kvrelay.sim.serving;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * ChatML, the template of Qwen and many others: {@code <|im_start|>{role}\n{content}<|im_end|>\n} per message, and
 * with the generation prompt {@code <|im_start|>assistant\n} at the end. Every rendered prompt ends in a newline, so a
 * conversation's next turn (previous messages + the answer + a new message) renders to text that starts with the
 * previous prompt at a token boundary: its tokens start with the previous prompt's tokens.
 */
public final class ChatTemplate {
    private static final String GENERATION_PROMPT = SimTokenizer.IM_START_TEXT + "assistant\n";

    private ChatTemplate() {
    }

    /**
     * The prompt text of OpenAI {@code messages}: each a {@code role} and a {@code content} that is a string, an array
     * of parts ({@code {"type":"text","text":...}}, texts joined with nothing between them, as vLLM does for the
     * string content format), or null (an assistant message with only tool calls).
     *
     * @throws IllegalArgumentException if {@code messages} is not a non-empty array of such objects
     */
    public static String render(JsonNode messages, boolean addGenerationPrompt) {
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            throw new IllegalArgumentException("messages must be a non-empty array");
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < messages.size(); i++) {
            JsonNode m = messages.get(i);
            JsonNode role = m.get("role");
            if (!m.isObject() || role == null || !role.isTextual()) {
                throw new IllegalArgumentException("messages[" + i + "] must be an object with a string role");
            }
            sb.append(SimTokenizer.IM_START_TEXT).append(role.asText()).append('\n');
            appendContent(sb, m.get("content"), i);
            sb.append(SimTokenizer.IM_END_TEXT).append('\n');
        }
        if (addGenerationPrompt) {
            sb.append(GENERATION_PROMPT);
        }
        return sb.toString();
    }

    private static void appendContent(StringBuilder sb, JsonNode content, int i) {
        if (content == null || content.isNull()) {
            return;
        }
        if (content.isTextual()) {
            sb.append(content.asText());
            return;
        }
        if (!content.isArray()) {
            throw new IllegalArgumentException("messages[" + i + "].content must be a string or an array of parts");
        }
        for (JsonNode part : content) {
            JsonNode type = part.get("type");
            JsonNode text = part.get("text");
            if (type == null || !"text".equals(type.asText()) || text == null || !text.isTextual()) {
                throw new IllegalArgumentException("messages[" + i + "].content: only {\"type\":\"text\",\"text\":...}"
                        + " parts are supported");
            }
            sb.append(text.asText());
        }
    }
}
