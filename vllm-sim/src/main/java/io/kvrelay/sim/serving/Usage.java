package io.kvrelay.sim.serving;

/**
 * A request's token counts, as vLLM's {@code usage} reports them.
 *
 * @param cachedTokens prompt tokens served from the prefix cache: hit blocks × block size (vLLM's
 *                     {@code prompt_tokens_details.cached_tokens} with {@code --enable-prompt-tokens-details})
 */
public record Usage(int promptTokens, int completionTokens, int cachedTokens) {
    public int totalTokens() {
        return promptTokens + completionTokens;
    }
}
