package io.kvrelay.stream.query;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Asks another stream-app instance for its local answer ({@code scope=local}), with a deadline. Every failure becomes
 * {@link QueryOutcome.Unavailable}: a missing instance makes the merged answer incomplete, so it is never skipped.
 */
public final class RemoteQueryClient {
    private final HttpClient http;
    private final ObjectMapper json;
    private final Duration timeout;

    public RemoteQueryClient(ObjectMapper json, Duration timeout) {
        this.json = json;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).version(HttpClient.Version.HTTP_1_1).build();
    }

    public CompletableFuture<QueryOutcome<PrefixMatch>> prefixMatch(InstanceInfo to, byte[] body) {
        HttpRequest req = HttpRequest.newBuilder(URI.create(to.baseUrl() + "/v1/prefix-match?scope=local"))
                .timeout(timeout).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        return send(to, req, PrefixMatch.class);
    }

    public CompletableFuture<QueryOutcome<LocalQueries.PodList>> pods(InstanceInfo to, String ns, String service) {
        HttpRequest req = HttpRequest.newBuilder(URI.create(to.baseUrl() + "/v1/services/" + enc(ns) + "/"
                + enc(service) + "/pods?scope=local")).timeout(timeout).GET().build();
        return send(to, req, LocalQueries.PodList.class);
    }

    public CompletableFuture<QueryOutcome<PodView>> pod(InstanceInfo to, String ns, String service, String pod) {
        HttpRequest req = HttpRequest.newBuilder(URI.create(to.baseUrl() + "/v1/pods/" + enc(ns) + "/" + enc(service)
                + "/" + enc(pod) + "?scope=local")).timeout(timeout).GET().build();
        return send(to, req, PodView.class);
    }

    private <T> CompletableFuture<QueryOutcome<T>> send(InstanceInfo to, HttpRequest req, Class<T> type) {
        return http.sendAsync(req, HttpResponse.BodyHandlers.ofByteArray()).handle((resp, err) -> {
            if (err != null) {
                return QueryOutcome.unavailable("instance " + to.baseUrl() + " did not answer: " + err.getMessage());
            }
            try {
                return switch (resp.statusCode()) {
                    case 200 -> QueryOutcome.found(json.readValue(resp.body(), type));
                    case 404 -> new QueryOutcome.NotFound<>(json.readTree(resp.body()).path("error").asText());
                    default -> QueryOutcome.unavailable("instance " + to.baseUrl() + " answered "
                            + resp.statusCode() + ": " + new String(resp.body(), StandardCharsets.UTF_8));
                };
            } catch (Exception e) {
                return QueryOutcome.unavailable("instance " + to.baseUrl() + " sent an unreadable answer: " + e);
            }
        });
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
