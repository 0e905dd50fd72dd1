package io.kvrelay.router.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kvrelay.http.HttpError;
import io.kvrelay.http.Reply;
import io.kvrelay.http.Request;
import io.kvrelay.http.Routes;
import io.kvrelay.http.client.UpstreamClient;
import io.kvrelay.router.decide.RouteRequest;
import io.kvrelay.router.decide.RouteResult;
import io.kvrelay.router.decide.RoutingDecisions;
import io.kvrelay.router.openai.LocalTokenizer;
import io.kvrelay.router.openai.OpenAiConfig;
import io.kvrelay.router.openai.OpenAiError;
import io.kvrelay.router.openai.PodProxy;
import io.kvrelay.router.openai.PodTokenizer;
import io.kvrelay.router.scoring.PodScorer;
import io.kvrelay.router.state.PodInfo;
import io.kvrelay.router.state.PodSource;
import io.kvrelay.router.state.ServiceStateCache;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OpenAI-compatible front door: {@code POST /v1/chat/completions} and {@code POST /v1/completions} are routed
 * like {@code POST /v1/route} (the prompt's token ids from a pod's {@code /tokenize}, the user from a header or the
 * body's {@code user}), then proxied unchanged to the chosen pod's serving port and its answer relayed as it comes,
 * streamed or not, with {@code x-kvrelay-pod} and {@code x-kvrelay-reason} added. {@code GET /v1/models} lists the
 * configured models. Errors are in OpenAI's shape ({@link OpenAiError}).
 */
public final class OpenAiRoutes {
    private static final Logger log = LoggerFactory.getLogger(OpenAiRoutes.class);
    /** Request headers the pod gets from the client; the rest are the hop's own. */
    private static final List<String> FORWARDED = List.of("authorization", "accept", "x-request-id");
    /** {@code /tokenize} options vLLM takes from a chat request: the token ids depend on them. */
    private static final List<String> CHAT_TOKENIZE_FIELDS = List.of("add_generation_prompt", "continue_final_message",
            "add_special_tokens", "chat_template", "chat_template_kwargs", "tools");

    private final OpenAiConfig config;
    private final RoutingDecisions decisions;
    private final ServiceStateCache states;
    private final PodTokenizer tokenizer;
    private final PodProxy proxy;
    private final Credentials credentials;
    private final Counter tokenizeFailures;
    private final Counter retried;
    /** Models tokenized in this process, by model name. */
    private final Map<String, LocalTokenizer> local = new LinkedHashMap<>();
    private final Counter verified;
    private final Counter mismatches;

    public OpenAiRoutes(OpenAiConfig config, RoutingDecisions decisions, ServiceStateCache states,
                        PodTokenizer tokenizer, PodProxy proxy, String adminToken,
                        Map<String, String> namespaceTokens, MeterRegistry registry) {
        this.config = config;
        this.decisions = decisions;
        this.states = states;
        this.tokenizer = tokenizer;
        this.proxy = proxy;
        this.credentials = new Credentials(adminToken, namespaceTokens);
        this.tokenizeFailures = Counter.builder("kvrelay.router.openai.tokenize.failures")
                .description("front-door requests whose prompt no pod tokenized in time: routed on load alone")
                .register(registry);
        this.retried = Counter.builder("kvrelay.router.openai.retries")
                .description("front-door requests sent to another pod because the chosen one refused or answered 503")
                .register(registry);
        config.tokenizers().forEach((model, dir) -> local.put(model, LocalTokenizer.load(dir)));
        this.verified = Counter.builder("kvrelay.router.openai.tokenizer.verified")
                .description("prompts tokenized in process and also by a pod, to compare (openai.verifyShare)")
                .register(registry);
        this.mismatches = Counter.builder("kvrelay.router.openai.tokenizer.mismatches")
                .description("prompts the in-process tokenizer and a pod tokenized differently: a wrong tokenizer "
                        + "or chat template configured for the model (routing then misses the pods' caches)")
                .register(registry);
    }

    /** Adds the front door's endpoints to {@code routes}, with OpenAI's error shape. */
    public Routes addTo(Routes routes) {
        return routes.errorShape(OpenAiError::body)
                .addAsync("POST", "/v1/chat/completions", Routes.Mode.EVENT_LOOP, config.maxBodyBytes(),
                        r -> complete(r, "/v1/chat/completions", true))
                .addAsync("POST", "/v1/completions", Routes.Mode.EVENT_LOOP, config.maxBodyBytes(),
                        r -> complete(r, "/v1/completions", false))
                .get("/v1/models", r -> Reply.ok(models()))
                .errorShape(null);
    }

    private Map<String, Object> models() {
        List<Map<String, Object>> data = new ArrayList<>();
        config.models().forEach((model, target) -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", model);
            m.put("object", "model");
            m.put("created", 0);
            m.put("owned_by", target);
            data.add(m);
        });
        return Map.of("object", "list", "data", data);
    }

    private CompletableFuture<Reply> complete(Request r, String path, boolean chat) throws Exception {
        JsonNode body = r.json().readTree(r.body());
        if (body == null || !body.isObject()) {
            throw HttpError.badRequest("the body must be a JSON object");
        }
        String model = body.path("model").isTextual() ? body.path("model").asText() : null;
        if (model == null || model.isBlank()) {
            throw new HttpError(400, "model is required (a string)", Map.of("param", "model"));
        }
        OpenAiConfig.ModelTarget target = config.resolve(model);
        if (target == null) {
            throw OpenAiError.modelNotFound(model);
        }
        credentials.requireRead(target.namespace(), r.header("Authorization"));
        String user = r.header(config.userHeader());
        if ((user == null || user.isBlank()) && body.path("user").isTextual()) {
            user = body.path("user").asText();
        }
        String userId = user;
        // On the event loop, as /v1/route, unless a step may block or take long: a service's first read of its pods
        // (stream-app), or a prompt tokenized in this process (milliseconds for a long one).
        if (states.isCached(target.namespace(), target.service()) && !local.containsKey(target.model())) {
            return proceed(r, path, chat, body, target, userId);
        }
        return CompletableFuture.supplyAsync(() -> {
            try {
                return proceed(r, path, chat, body, target, userId);
            } catch (PodSource.Unavailable e) {
                throw new CompletionException(e);
            }
        }, r.workers()).thenCompose(f -> f).exceptionally(e -> {
            throw new CompletionException(asHttpError(e, model));
        });
    }

    private CompletableFuture<Reply> proceed(Request r, String path, boolean chat, JsonNode body,
                                             OpenAiConfig.ModelTarget target, String userId)
            throws PodSource.Unavailable {
        List<PodInfo> pods = states.pods(target.namespace(), target.service());
        if (pods.isEmpty()) {
            throw OpenAiError.modelNotFound(target.model());
        }
        return promptTokens(body, chat, target, pods)
                .thenCompose(tokens -> decisions.decide(RouteRequest.of(target.namespace(), target.service(), userId,
                        tokens, null), r.loop(), r.workers()))
                .thenCompose(res -> forward(r, path, res))
                .exceptionally(e -> {
                    throw new CompletionException(asHttpError(e, target.model()));
                });
    }

    /** The prompt's token ids: given in a completion request, else asked of a pod (none in time: routed on load). */
    private CompletableFuture<int[]> promptTokens(JsonNode body, boolean chat, OpenAiConfig.ModelTarget target,
                                                  List<PodInfo> pods) {
        ObjectNode question = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode()
                .put("model", target.model());
        if (chat) {
            JsonNode messages = body.get("messages");
            if (messages == null || !messages.isArray() || messages.isEmpty()) {
                throw new HttpError(400, "messages is required (a non-empty array)", Map.of("param", "messages"));
            }
            question.set("messages", messages);
            for (String f : CHAT_TOKENIZE_FIELDS) {
                if (body.has(f)) {
                    question.set(f, body.get(f));
                }
            }
        } else {
            JsonNode prompt = body.get("prompt");
            // A batch of prompts is routed by its first: they go to one pod together.
            if (prompt != null && prompt.isArray() && !prompt.isEmpty()
                    && (prompt.get(0).isTextual() || prompt.get(0).isArray())) {
                prompt = prompt.get(0);
            }
            if (prompt != null && prompt.isArray() && !prompt.isEmpty()) {
                int[] ids = new int[prompt.size()];
                for (int i = 0; i < ids.length; i++) {
                    JsonNode t = prompt.get(i);
                    if (!t.canConvertToInt() || !t.isIntegralNumber() || t.asInt() < 0) {
                        throw new HttpError(400, "prompt: token ids are integers >= 0", Map.of("param", "prompt"));
                    }
                    ids[i] = t.asInt();
                }
                return CompletableFuture.completedFuture(ids);
            }
            if (prompt == null || !prompt.isTextual()) {
                throw new HttpError(400, "prompt is required (a string, or an array of token ids)",
                        Map.of("param", "prompt"));
            }
            question.set("prompt", prompt);
            if (body.has("add_special_tokens")) {
                question.set("add_special_tokens", body.get("add_special_tokens"));
            }
        }
        LocalTokenizer own = local.get(target.model());
        if (own != null && defaultsOnly(question)) {
            int[] ids;
            try {
                ids = chat ? own.chat(question.get("messages"), !question.has("add_generation_prompt")
                        || question.get("add_generation_prompt").asBoolean(true))
                        : own.prompt(question.get("prompt").asText());
            } catch (IllegalArgumentException | IllegalStateException e) {
                throw new HttpError(400, "the model's chat template refused the messages: " + e.getMessage(),
                        Map.of("param", "messages"));
            }
            if (config.verifyShare() > 0 && java.util.concurrent.ThreadLocalRandom.current().nextDouble()
                    < config.verifyShare()) {
                verify(target, question, pods, ids);
            }
            return CompletableFuture.completedFuture(ids);
        }
        return tokenizer.tokens(target.namespace() + "/" + target.service(), question, pods)
                .exceptionally(e -> {
                    tokenizeFailures.increment();
                    log.debug("tokenization for {} failed, routing on load alone: {}", target.service(), e.toString());
                    return new int[0];
                });
    }

    /** Whether the local tokenizer applies: none of the options that change vLLM's ids (own template, tools...). */
    private static boolean defaultsOnly(ObjectNode question) {
        for (String f : List.of("continue_final_message", "add_special_tokens", "chat_template",
                "chat_template_kwargs", "tools")) {
            JsonNode v = question.get(f);
            if (v != null && !v.isNull() && !(f.equals("continue_final_message") && !v.asBoolean())) {
                return false;
            }
        }
        return true;
    }

    /** Asks a pod too, behind the request, and counts (and logs) a difference. */
    private void verify(OpenAiConfig.ModelTarget target, ObjectNode question, List<PodInfo> pods, int[] ids) {
        tokenizer.tokens(target.namespace() + "/" + target.service(), question, pods).whenComplete((theirs, e) -> {
            if (e != null) {
                return; // no pod to compare with now: not a mismatch
            }
            verified.increment();
            if (!java.util.Arrays.equals(ids, theirs)) {
                mismatches.increment();
                int at = java.util.Arrays.mismatch(ids, theirs);
                // Every mismatch is counted; the log says the first and then every hundredth, not one per request.
                if (mismatches.count() % 100 == 1) {
                    log.warn("model {}: the in-process tokenizer and pod tokenization differ ({} vs {} tokens, first "
                            + "difference at token {}): check openai.tokenizers against the pods' model",
                            target.model(), ids.length, theirs.length, at);
                }
            }
        });
    }

    private CompletableFuture<Reply> forward(Request r, String path, RouteResult res) {
        if (res.pod() == null) {
            throw HttpError.unavailable("no routable pod for this model (" + res.reason() + ")", 1_000);
        }
        // The chosen pod first, then the others by their score: where a retry goes.
        List<PodInfo> order = new ArrayList<>();
        order.add(res.pod());
        for (PodScorer.Score s : res.candidates()) {
            if (!s.pod().pod().equals(res.pod().pod())) {
                order.add(s.pod());
            }
        }
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("content-type", "application/json");
        for (String h : FORWARDED) {
            String v = r.header(h);
            if (v != null) {
                headers.put(h, v);
            }
        }
        return proxy.send(order, path, r.body(), headers).thenApply(up -> {
            if (up.attempts() > 1) {
                retried.increment();
            }
            boolean events = up.contentType().startsWith("text/event-stream");
            Reply reply = new Reply(up.response().status(), new Reply.Stream(up.contentType(), sink -> {
                Runnable cancel = PodProxy.relay(up, sink::send, failure -> {
                    if (failure != null && !(failure instanceof java.util.concurrent.CancellationException)) {
                        log.warn("{}'s answer broke off: {}", up.pod().id(), failure.toString());
                        if (events) {
                            // What vLLM sends on a failure mid-stream; a client then knows it is cut short.
                            sink.send(("data: {\"error\":{\"message\":\"the pod's answer broke off\",\"type\":"
                                    + "\"server_error\",\"param\":null,\"code\":502}}\n\n")
                                    .getBytes(StandardCharsets.UTF_8));
                        }
                    }
                    sink.end();
                });
                sink.onClientGone(cancel);
            }));
            return reply.withHeader("x-kvrelay-pod", up.pod().pod()).withHeader("x-kvrelay-reason", res.reason())
                    .withHeader("x-kvrelay-matched-blocks", Integer.toString(res.matchedBlocks()))
                    .withHeader("x-kvrelay-attempts", Integer.toString(up.attempts()));
        });
    }

    private static HttpError asHttpError(Throwable e, String model) {
        Throwable c = e;
        while (c instanceof CompletionException && c.getCause() != null) {
            c = c.getCause();
        }
        if (c instanceof HttpError h) {
            return h;
        }
        if (c instanceof PodProxy.NoPodTookIt n) {
            return HttpError.unavailable("no pod serving " + model + " took the request after " + n.attempts()
                    + " attempt(s): " + n.getMessage(), 1_000);
        }
        if (c instanceof UpstreamClient.ResponseTimeout) {
            return new HttpError(504, "the pod did not answer in time");
        }
        if (c instanceof java.io.IOException) {
            return new HttpError(502, "the pod's connection failed: " + c.getMessage());
        }
        HttpError mapped = RouterRoutes.error(c);
        if (mapped != null) {
            return mapped;
        }
        if (c instanceof IllegalArgumentException) {
            return HttpError.badRequest(c.getMessage());
        }
        log.warn("front-door request for {} failed", model, c);
        return new HttpError(500, "internal error: " + c.getClass().getSimpleName());
    }
}
