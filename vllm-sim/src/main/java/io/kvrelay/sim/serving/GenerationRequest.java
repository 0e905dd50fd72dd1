package io.kvrelay.sim.serving;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What the engine needs of a {@code /v1/completions} or {@code /v1/chat/completions} body, validated as vLLM does.
 *
 * @param includeUsage {@code stream_options.include_usage}: a streamed answer ends with a usage chunk
 */
record GenerationRequest(int[] prompt, int maxTokens, boolean stream, boolean includeUsage) {
    /** vLLM's default {@code max_tokens} of the completions API (the simulator uses it for chat too). */
    static final int DEFAULT_MAX_TOKENS = 16;

    GenerationRequest {
        if (prompt.length == 0) {
            throw OpenAiError.badRequest("The prompt cannot be empty.");
        }
        if (maxTokens < 1) {
            throw OpenAiError.badRequest("max_tokens must be at least 1, got " + maxTokens + ".");
        }
    }

    /** A completions body: {@code prompt} is a string or an array of token ids. */
    static GenerationRequest completion(JsonNode body, int maxModelLen, PromptTokenizer tokenizer) {
        JsonNode p = body.get("prompt");
        int[] prompt;
        if (p != null && p.isTextual()) {
            prompt = tokenizer.prompt(p.asText());
        } else if (p != null && p.isArray()) {
            prompt = new int[p.size()];
            for (int i = 0; i < prompt.length; i++) {
                JsonNode t = p.get(i);
                if (!t.isIntegralNumber()) {
                    // vLLM batches an array of strings into several requests; one request per call is simulated.
                    throw OpenAiError.badRequest("prompt must be a string or an array of token ids (batched prompts"
                            + " are not simulated)");
                }
                if (!t.canConvertToInt() || !tokenizer.inVocabulary(t.intValue())) {
                    throw OpenAiError.badRequest("Token id " + t.asText() + " is out of vocabulary");
                }
                prompt[i] = t.intValue();
            }
        } else {
            throw OpenAiError.badRequest("prompt must be a string or an array of token ids");
        }
        return of(body, prompt, maxTokens(body, "max_tokens"), maxModelLen);
    }

    /** A chat body: {@code messages} through the chat template (with the generation prompt). */
    static GenerationRequest chat(JsonNode body, int maxModelLen, PromptTokenizer tokenizer) {
        int[] prompt = chatTokens(body, tokenizer);
        JsonNode newer = body.get("max_completion_tokens");
        String field = newer != null && !newer.isNull() ? "max_completion_tokens" : "max_tokens";
        return of(body, prompt, maxTokens(body, field), maxModelLen);
    }

    /** A body's {@code messages} through the chat template, honouring {@code add_generation_prompt} (default true). */
    static int[] chatTokens(JsonNode body, PromptTokenizer tokenizer) {
        JsonNode add = body.get("add_generation_prompt");
        if (add != null && !add.isNull() && !add.isBoolean()) {
            throw OpenAiError.badRequest("add_generation_prompt must be a boolean");
        }
        try {
            return tokenizer.chat(body.get("messages"), add == null || add.isNull() || add.asBoolean());
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw OpenAiError.badRequest(e.getMessage());
        }
    }

    private static GenerationRequest of(JsonNode body, int[] prompt, int maxTokens, int maxModelLen) {
        if ((long) prompt.length + maxTokens > maxModelLen) {
            throw OpenAiError.badRequest("This model's maximum context length is " + maxModelLen + " tokens. However,"
                    + " you requested " + ((long) prompt.length + maxTokens) + " tokens (" + prompt.length
                    + " in the messages, " + maxTokens + " in the completion). Please reduce the length of the"
                    + " messages or completion.");
        }
        boolean stream = bool(body, "stream");
        JsonNode options = body.get("stream_options");
        boolean includeUsage = options != null && options.isObject() && bool(options, "include_usage");
        return new GenerationRequest(prompt, maxTokens, stream, includeUsage);
    }

    private static int maxTokens(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return DEFAULT_MAX_TOKENS;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw OpenAiError.badRequest(field + " must be an integer");
        }
        return v.intValue();
    }

    private static boolean bool(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return false;
        }
        if (!v.isBoolean()) {
            throw OpenAiError.badRequest(field + " must be a boolean");
        }
        return v.asBoolean();
    }
}
