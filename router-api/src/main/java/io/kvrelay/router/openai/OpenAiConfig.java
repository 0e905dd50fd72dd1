package io.kvrelay.router.openai;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The OpenAI-compatible front door ({@code /v1/chat/completions}, {@code /v1/completions}, {@code /v1/models}).
 * Zero and null mean the default.
 *
 * @param namespace          where a model's service lives when {@code models} does not say (default {@code default})
 * @param models             model name → {@code service} or {@code namespace/service}; a model not listed is the
 *                           service of the same name in {@code namespace}. When any is listed, only those are served
 *                           (another name is 404) and {@code GET /v1/models} lists them.
 * @param userHeader         the request header naming the user for sticky links (default {@code x-user-id}); the
 *                           body's {@code user} field when the header is absent
 * @param tokenizeTimeoutMs  how long a pod's {@code POST /tokenize} may take before the request is routed on load
 *                           alone (default 2,000)
 * @param tokenCacheTokens   token ids kept by the tokenization cache, all prompts together (default 4,000,000)
 * @param connectTimeoutMs   connecting to a pod (default 1,000); a refused or timed-out connection is retried on
 *                           another pod
 * @param responseTimeoutMs  until the pod's response head arrives (default 300,000: a non-streamed answer comes whole)
 * @param maxAttempts        pods tried for one request, counting the first (default 3)
 * @param maxBodyBytes       largest request body (default 8 MiB)
 * @param tokenizers         model name → a directory with its Hugging Face tokenizer ({@code tokenizer.json}, and
 *                           {@code tokenizer_config.json} for the chat template): that model's prompts are tokenized
 *                           in this process instead of by a pod (the router's image carries the tokenizer; kvrelay.jar
 *                           does not). Requests with options the local tokenizer does not apply (their own chat
 *                           template, tools, non-default special tokens) still go to a pod
 * @param verifyShare        share of locally tokenized requests also tokenized by a pod and compared, a mismatch
 *                           counted and logged (default 0.01; 0 = never)
 * @param maxConnectionsPerPod connections to one pod per event loop of the router (default 64); requests beyond wait
 *                           for one to free
 */
public record OpenAiConfig(String namespace, Map<String, String> models, String userHeader, long tokenizeTimeoutMs,
                           long tokenCacheTokens, long connectTimeoutMs, long responseTimeoutMs, int maxAttempts,
                           int maxBodyBytes, Map<String, String> tokenizers, Double verifyShare,
                           int maxConnectionsPerPod) {
    /** Without local tokenizers. */
    public OpenAiConfig(String namespace, Map<String, String> models, String userHeader, long tokenizeTimeoutMs,
                        long tokenCacheTokens, long connectTimeoutMs, long responseTimeoutMs, int maxAttempts,
                        int maxBodyBytes) {
        this(namespace, models, userHeader, tokenizeTimeoutMs, tokenCacheTokens, connectTimeoutMs, responseTimeoutMs,
                maxAttempts, maxBodyBytes, null, null, 0);
    }

    public OpenAiConfig {
        tokenizers = tokenizers == null ? Map.of() : Map.copyOf(tokenizers);
        tokenizers.forEach((model, dir) -> {
            if (model == null || model.isBlank() || dir == null || dir.isBlank()) {
                throw new IllegalArgumentException("openai.tokenizers: a model and its directory must be non-empty");
            }
        });
        verifyShare = verifyShare == null ? 0.01 : verifyShare;
        maxConnectionsPerPod = maxConnectionsPerPod == 0 ? 64 : maxConnectionsPerPod;
        positive("openai.maxConnectionsPerPod", maxConnectionsPerPod);
        if (!(verifyShare >= 0 && verifyShare <= 1)) {
            throw new IllegalArgumentException("openai.verifyShare must be in [0, 1], got " + verifyShare);
        }
        namespace = namespace == null || namespace.isBlank() ? "default" : namespace;
        models = models == null ? Map.of() : Map.copyOf(new LinkedHashMap<>(models));
        models.forEach((model, target) -> target(model, target, "default"));
        userHeader = userHeader == null || userHeader.isBlank() ? "x-user-id" : userHeader;
        tokenizeTimeoutMs = tokenizeTimeoutMs == 0 ? 2_000 : tokenizeTimeoutMs;
        tokenCacheTokens = tokenCacheTokens == 0 ? 4_000_000 : tokenCacheTokens;
        connectTimeoutMs = connectTimeoutMs == 0 ? 1_000 : connectTimeoutMs;
        responseTimeoutMs = responseTimeoutMs == 0 ? 300_000 : responseTimeoutMs;
        maxAttempts = maxAttempts == 0 ? 3 : maxAttempts;
        maxBodyBytes = maxBodyBytes == 0 ? 8 * 1024 * 1024 : maxBodyBytes;
        positive("openai.tokenizeTimeoutMs", tokenizeTimeoutMs);
        positive("openai.tokenCacheTokens", tokenCacheTokens);
        positive("openai.connectTimeoutMs", connectTimeoutMs);
        positive("openai.responseTimeoutMs", responseTimeoutMs);
        positive("openai.maxAttempts", maxAttempts);
        positive("openai.maxBodyBytes", maxBodyBytes);
    }

    public static OpenAiConfig defaults() {
        return new OpenAiConfig(null, null, null, 0, 0, 0, 0, 0, 0);
    }

    public OpenAiConfig withNamespace(String ns) {
        return new OpenAiConfig(ns, models, userHeader, tokenizeTimeoutMs, tokenCacheTokens, connectTimeoutMs,
                responseTimeoutMs, maxAttempts, maxBodyBytes, tokenizers, verifyShare, maxConnectionsPerPod);
    }

    public OpenAiConfig withModels(Map<String, String> m) {
        return new OpenAiConfig(namespace, m, userHeader, tokenizeTimeoutMs, tokenCacheTokens, connectTimeoutMs,
                responseTimeoutMs, maxAttempts, maxBodyBytes, tokenizers, verifyShare, maxConnectionsPerPod);
    }

    /** With models tokenized in process ({@code model → tokenizer directory}), {@code share} of them verified. */
    public OpenAiConfig withTokenizers(Map<String, String> t, double share) {
        return new OpenAiConfig(namespace, models, userHeader, tokenizeTimeoutMs, tokenCacheTokens, connectTimeoutMs,
                responseTimeoutMs, maxAttempts, maxBodyBytes, t, share, maxConnectionsPerPod);
    }

    /** The service a model name is served by; null when models are listed and this one is not. */
    public ModelTarget resolve(String model) {
        String target = models.get(model);
        if (target != null) {
            return target(model, target, namespace);
        }
        return models.isEmpty() ? new ModelTarget(model, namespace, model) : null;
    }

    /** A model and the service serving it. */
    public record ModelTarget(String model, String namespace, String service) {
    }

    private static ModelTarget target(String model, String target, String defaultNamespace) {
        if (model == null || model.isBlank() || target == null || target.isBlank()) {
            throw new IllegalArgumentException("openai.models: a model and its service must be non-empty");
        }
        String[] parts = target.split("/", -1);
        if (parts.length > 2 || parts[parts.length - 1].isBlank() || parts[0].isBlank()) {
            throw new IllegalArgumentException("openai.models." + model + ": '" + target
                    + "' is not 'service' or 'namespace/service'");
        }
        return parts.length == 2 ? new ModelTarget(model, parts[0], parts[1])
                : new ModelTarget(model, defaultNamespace, parts[0]);
    }

    private static void positive(String name, long v) {
        if (v <= 0) {
            throw new IllegalArgumentException(name + " must be > 0, got " + v);
        }
    }
}
