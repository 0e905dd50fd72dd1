package io.kvrelay.sim.serving;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kvrelay.http.Reply;
import io.kvrelay.http.Request;
import io.kvrelay.http.Routes;
import java.io.IOException;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * vLLM's OpenAI-compatible API on a simulated pod's serving port: {@code /health}, {@code /v1/models},
 * {@code /tokenize}, {@code /v1/completions} and {@code /v1/chat/completions}, with vLLM's request and response
 * shapes, so a router can be driven end to end against simulated pods. Handlers never block the event loop: a
 * generation completes (or streams) from the {@link ServingEngine}'s scheduler thread.
 */
public final class OpenAiApi {
    /** Long prompts arrive as JSON: more room than the server's default body limit. */
    private static final int MAX_BODY_BYTES = 16 * 1024 * 1024;

    private final ServingEngine engine;
    private final PromptTokenizer tokenizer;
    private final String model;
    private final int maxModelLen;
    private final ObjectMapper json = new ObjectMapper();

    public OpenAiApi(ServingEngine engine, String model, int maxModelLen, PromptTokenizer tokenizer) {
        this.engine = engine;
        this.tokenizer = tokenizer;
        this.model = model;
        this.maxModelLen = maxModelLen;
    }

    /** Adds the API's routes. */
    public void register(Routes routes) {
        routes.get("/health", r -> new Reply(200, new Reply.Bytes(new byte[0], "text/plain; charset=utf-8")));
        routes.get("/v1/models", r -> Reply.ok(models()));
        routes.add("POST", "/tokenize", Routes.Mode.EVENT_LOOP, MAX_BODY_BYTES, this::tokenize);
        routes.addAsync("POST", "/v1/completions", Routes.Mode.EVENT_LOOP, MAX_BODY_BYTES,
                r -> generate(r, ResponseShapes.Api.COMPLETION));
        routes.addAsync("POST", "/v1/chat/completions", Routes.Mode.EVENT_LOOP, MAX_BODY_BYTES,
                r -> generate(r, ResponseShapes.Api.CHAT));
    }

    private ObjectNode models() {
        ObjectNode out = json.createObjectNode().put("object", "list");
        out.putArray("data").addObject().put("id", model).put("object", "model").put("created", nowSeconds())
                .put("owned_by", "vllm").put("root", model).putNull("parent").put("max_model_len", maxModelLen);
        return out;
    }

    private Reply tokenize(Request r) {
        try {
            JsonNode body = body(r);
            int[] tokens;
            if (body.has("messages")) {
                tokens = GenerationRequest.chatTokens(body, tokenizer);
            } else if (body.path("prompt").isTextual()) {
                // add_special_tokens is accepted and ignored: a prompt gets the tokenizer's specials, as vLLM's default.
                tokens = tokenizer.prompt(body.get("prompt").asText());
            } else {
                throw OpenAiError.badRequest("the body needs a string prompt or messages");
            }
            ObjectNode out = json.createObjectNode().put("count", tokens.length).put("max_model_len", maxModelLen);
            var ids = out.putArray("tokens");
            for (int t : tokens) {
                ids.add(t);
            }
            return Reply.ok(out);
        } catch (OpenAiError e) {
            return e.reply();
        }
    }

    private CompletionStage<Reply> generate(Request r, ResponseShapes.Api api) {
        GenerationRequest g;
        try {
            JsonNode body = body(r);
            g = api == ResponseShapes.Api.CHAT ? GenerationRequest.chat(body, maxModelLen, tokenizer)
                    : GenerationRequest.completion(body, maxModelLen, tokenizer);
        } catch (OpenAiError e) {
            return CompletableFuture.completedFuture(e.reply());
        }
        String id = api.idPrefix + UUID.randomUUID().toString().replace("-", "");
        ResponseShapes shapes = new ResponseShapes(json, api, id, nowSeconds(), model);
        if (g.stream()) {
            return CompletableFuture.completedFuture(new Reply(200,
                    new Reply.Stream("text/event-stream", new SseGeneration(engine, g, api, shapes, json))));
        }
        CompletableFuture<Reply> out = new CompletableFuture<>();
        StringBuilder text = new StringBuilder();
        engine.submit(g.prompt(), g.maxTokens(), new GenerationListener() {
            @Override
            public void onToken(int index, int tokenId, String tokenText, boolean last, Usage usageSoFar) {
                text.append(tokenText);
            }

            @Override
            public void onFinished(Usage usage) {
                out.complete(Reply.ok(shapes.whole(text.toString(), usage)));
            }

            @Override
            public void onFailed(Throwable cause) {
                out.complete(OpenAiError.internal(String.valueOf(cause.getMessage())).reply());
            }
        });
        return out;
    }

    /** The body as a JSON object with the pod's model (or none); vLLM's 400 and 404 otherwise. */
    private JsonNode body(Request r) {
        JsonNode body;
        try {
            body = json.readTree(r.body());
        } catch (JsonProcessingException e) {
            throw OpenAiError.badRequest("Invalid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw OpenAiError.badRequest("Invalid JSON: " + e.getMessage());
        }
        if (body == null || !body.isObject()) {
            throw OpenAiError.badRequest("the body must be a JSON object");
        }
        JsonNode m = body.get("model");
        if (m != null && !m.isNull()) {
            if (!m.isTextual()) {
                throw OpenAiError.badRequest("model must be a string");
            }
            if (!m.asText().equals(model)) {
                throw OpenAiError.unknownModel(m.asText());
            }
        }
        return body;
    }

    private static long nowSeconds() {
        return System.currentTimeMillis() / 1000;
    }
}
