package io.kvrelay.launcher.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;

/**
 * A chat client of the router's OpenAI front door, as an application would be one: {@code POST /v1/chat/completions}
 * with {@code "stream": true}, the user in {@code x-user-id}. It times the first token as the client sees it and
 * reads the usage (prompt and cached tokens) from the stream's last event. Asynchronous: a request holds no thread.
 */
public final class FrontDoorClient {
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();
    private final ObjectMapper json = new ObjectMapper();
    private final URI chat;
    private final URI completions;

    public FrontDoorClient(int routerPort) {
        this.chat = URI.create("http://127.0.0.1:" + routerPort + "/v1/chat/completions");
        this.completions = URI.create("http://127.0.0.1:" + routerPort + "/v1/completions");
    }

    /**
     * One answer: the pod and why (the router's headers), the time to the first token and to the end, the text,
     * and the usage the pod reported.
     */
    public record ChatAnswer(String pod, String reason, long ttftNanos, long totalNanos, String content,
                             int promptTokens, int cachedTokens, int completionTokens) {
    }

    /** A request the router or the pod refused, with the status and the error's message. */
    public static final class Refused extends IOException {
        public Refused(String message) {
            super(message);
        }
    }

    /** A chat turn: {@code messages} as OpenAI's API takes them ({@code role}, {@code content}). */
    public CompletableFuture<ChatAnswer> chat(String model, String user, List<Map<String, String>> messages,
                                              int maxTokens) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("model", model);
        body.put("messages", messages);
        return stream(chat, body, user, maxTokens);
    }

    /** A completion of a prompt given as token ids (no tokenization anywhere: the ids are the engine's). */
    public CompletableFuture<ChatAnswer> complete(String model, String user, int[] tokens, int maxTokens) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("model", model);
        body.put("prompt", tokens);
        return stream(completions, body, user, maxTokens);
    }

    private CompletableFuture<ChatAnswer> stream(URI uri, Map<String, Object> body, String user, int maxTokens) {
        body.put("max_tokens", maxTokens);
        body.put("stream", true);
        body.put("stream_options", Map.of("include_usage", true));
        byte[] bytes;
        try {
            bytes = json.writeValueAsBytes(body);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        }
        HttpRequest req = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
                .header("content-type", "application/json").header("x-user-id", user)
                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build();
        long t0 = System.nanoTime();
        Events events = new Events(t0);
        return http.sendAsync(req, HttpResponse.BodyHandlers.fromLineSubscriber(events, e -> null, "\n"))
                .thenCombine(events.done, (res, ignored) -> {
                    if (res.statusCode() != 200) {
                        throw new java.util.concurrent.CompletionException(new Refused("front door answered "
                                + res.statusCode() + ": " + events.raw));
                    }
                    return new ChatAnswer(res.headers().firstValue("x-kvrelay-pod").orElse("?"),
                            res.headers().firstValue("x-kvrelay-reason").orElse("?"), events.firstNanos - t0,
                            System.nanoTime() - t0, events.content.toString(), events.promptTokens,
                            events.cachedTokens, events.completionTokens);
                });
    }

    /** The server-sent events of one answer, read as they arrive. */
    private final class Events implements Flow.Subscriber<String> {
        final CompletableFuture<Void> done = new CompletableFuture<>();
        final StringBuilder content = new StringBuilder();
        final StringBuilder raw = new StringBuilder();
        long firstNanos;
        int promptTokens;
        int cachedTokens;
        int completionTokens;

        Events(long t0) {
            this.firstNanos = t0;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(String line) {
            if (!line.startsWith("data: ")) {
                if (raw.length() < 2_000) {
                    raw.append(line);
                }
                return;
            }
            String data = line.substring(6);
            if (data.equals("[DONE]")) {
                return;
            }
            try {
                JsonNode chunk = json.readTree(data);
                for (JsonNode c : chunk.path("choices")) {
                    // A chat chunk's delta.content, or a completion chunk's text.
                    String text = c.has("text") ? c.path("text").asText("") : c.path("delta").path("content").asText("");
                    if (!text.isEmpty() && content.length() == 0) {
                        firstNanos = System.nanoTime();
                    }
                    content.append(text);
                }
                JsonNode usage = chunk.path("usage");
                if (usage.isObject()) {
                    promptTokens = usage.path("prompt_tokens").asInt();
                    completionTokens = usage.path("completion_tokens").asInt();
                    cachedTokens = usage.path("prompt_tokens_details").path("cached_tokens").asInt();
                }
            } catch (IOException e) {
                raw.append(data);
            }
        }

        @Override
        public void onError(Throwable t) {
            done.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            done.complete(null);
        }
    }
}
