package io.kvrelay.sim.serving;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The JSON of one answer, whole or streamed, in vLLM's field order: the same id, creation time and model on every
 * chunk, as vLLM sends them.
 */
final class ResponseShapes {
    /** The two generation APIs: their id prefix and object names. */
    enum Api {
        COMPLETION("cmpl-", "text_completion"),
        CHAT("chatcmpl-", "chat.completion");

        final String idPrefix;
        final String object;

        Api(String idPrefix, String object) {
            this.idPrefix = idPrefix;
            this.object = object;
        }

        /** vLLM names chat chunks apart ({@code chat.completion.chunk}); completion chunks are text_completion. */
        String chunkObject() {
            return this == CHAT ? object + ".chunk" : object;
        }
    }

    /** Every generation stops at {@code max_tokens}: the simulator has no stop tokens. */
    static final String FINISH_REASON = "length";

    private final ObjectMapper json;
    private final Api api;
    private final String id;
    private final long created;
    private final String model;

    ResponseShapes(ObjectMapper json, Api api, String id, long created, String model) {
        this.json = json;
        this.api = api;
        this.id = id;
        this.created = created;
        this.model = model;
    }

    /** The non-streamed answer. */
    ObjectNode whole(String text, Usage usage) {
        ObjectNode out = head(api.object);
        ObjectNode choice = out.putArray("choices").addObject().put("index", 0);
        if (api == Api.CHAT) {
            choice.putObject("message").put("role", "assistant").put("content", text).putArray("tool_calls");
        } else {
            choice.put("text", text);
        }
        choice.putNull("logprobs");
        choice.put("finish_reason", FINISH_REASON).putNull("stop_reason");
        out.set("usage", usage(usage));
        return out;
    }

    /** The chat stream's first chunk: the role, empty content. */
    ObjectNode roleChunk(boolean includeUsage) {
        return chunk(null, null, includeUsage, true);
    }

    /** A chunk of one token; {@code finishReason} on the last one only. */
    ObjectNode tokenChunk(String text, String finishReason, boolean includeUsage) {
        return chunk(text, finishReason, includeUsage, false);
    }

    /** The stream's last chunk with {@code include_usage}: no choices, the usage. */
    ObjectNode usageChunk(Usage usage) {
        ObjectNode out = head(api.chunkObject());
        out.putArray("choices");
        out.set("usage", usage(usage));
        return out;
    }

    ObjectNode usage(Usage u) {
        ObjectNode out = json.createObjectNode().put("prompt_tokens", u.promptTokens())
                .put("total_tokens", u.totalTokens()).put("completion_tokens", u.completionTokens());
        out.putObject("prompt_tokens_details").put("cached_tokens", u.cachedTokens());
        return out;
    }

    private ObjectNode chunk(String text, String finishReason, boolean includeUsage, boolean role) {
        ObjectNode out = head(api.chunkObject());
        ArrayNode choices = out.putArray("choices");
        ObjectNode choice = choices.addObject().put("index", 0);
        if (api == Api.CHAT) {
            ObjectNode delta = choice.putObject("delta");
            if (role) {
                delta.put("role", "assistant").put("content", "");
            } else {
                delta.put("content", text);
            }
        } else {
            choice.put("text", text);
        }
        choice.putNull("logprobs");
        choice.put("finish_reason", finishReason).putNull("stop_reason");
        if (includeUsage) {
            out.putNull("usage");
        }
        return out;
    }

    private ObjectNode head(String object) {
        return json.createObjectNode().put("id", id).put("object", object).put("created", created)
                .put("model", model);
    }
}
