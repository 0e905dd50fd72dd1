package io.kvrelay.tokenizer;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's chat template (the Jinja text of {@code tokenizer_config.json}'s {@code chat_template}) rendered as
 * Hugging Face's {@code apply_chat_template} renders it, which is what vLLM does: blocks trimmed and left-stripped,
 * the messages, {@code add_generation_prompt}, the special tokens by name, and {@code raise_exception} failing the
 * render. Thread-safe.
 */
public final class ChatTemplate {
    /** The message of the template's raise_exception on this thread: Jinjava reports only that the call failed. */
    private static final ThreadLocal<String> RAISED = new ThreadLocal<>();

    private final String template;
    private final Map<String, Object> specialTokens;
    private final Jinjava jinja;

    /** @param specialTokens {@code bos_token}, {@code eos_token}... as the template refers to them */
    public ChatTemplate(String template, Map<String, String> specialTokens) {
        if (template == null || template.isBlank()) {
            throw new IllegalArgumentException("a chat template is required");
        }
        this.template = template;
        this.specialTokens = Map.copyOf(specialTokens);
        this.jinja = new Jinjava(JinjavaConfig.newBuilder().withTrimBlocks(true).withLstripBlocks(true)
                .withFailOnUnknownTokens(false).build());
        jinja.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception", ChatTemplate.class,
                "raiseException", String.class));
    }

    /** The template's text for {@code messages} (each a map: role, content and the rest of OpenAI's fields). */
    public String render(List<Map<String, Object>> messages, boolean addGenerationPrompt) {
        Map<String, Object> ctx = new HashMap<>(specialTokens);
        ctx.put("messages", messages);
        ctx.put("add_generation_prompt", addGenerationPrompt);
        RAISED.remove();
        RenderResult r = jinja.renderForResult(template, ctx);
        if (!r.getErrors().isEmpty()) {
            String raised = RAISED.get();
            RAISED.remove();
            throw new IllegalArgumentException("the chat template failed: "
                    + (raised != null ? raised : r.getErrors().get(0).getMessage()));
        }
        return r.getOutput();
    }

    /** The template's {@code raise_exception(message)}: the messages do not fit the template. */
    public static String raiseException(String message) {
        RAISED.set(message);
        throw new IllegalArgumentException(message);
    }
}
