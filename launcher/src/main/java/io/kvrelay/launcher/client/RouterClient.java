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

/**
 * The demo's and the benchmark's HTTP client of router-api: {@code POST /v1/route} and the routable-pods check. HTTP/1.1 with
 * keep-alive, as a gateway would call it (the JDK client's default h2c upgrade attempt would add a round trip).
 */
public final class RouterClient {
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();
    private final ObjectMapper json = new ObjectMapper();
    private final URI base;
    private final String namespace;

    public RouterClient(int port, String namespace) {
        this.base = URI.create("http://127.0.0.1:" + port);
        this.namespace = namespace;
    }

    /**
     * The router's answer for one request.
     *
     * @param indexAvailable false when the router decided without stream-app's prefix index (it did not answer in time)
     */
    public record Answer(String pod, boolean sticky, boolean indexAvailable, long latencyNanos) {
    }

    /** @throws IOException on a transport error or a non-200 answer */
    public Answer route(String service, String userId, int[] tokens, String lora)
            throws IOException, InterruptedException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("namespace", namespace);
        body.put("service", service);
        body.put("userId", userId);
        body.put("tokens", tokens);
        if (lora != null) {
            body.put("lora", lora);
        }
        // Serialised before the clock starts: the figure is the router's HTTP round trip, not our JSON encoding.
        byte[] bytes = json.writeValueAsBytes(body);
        HttpRequest req = HttpRequest.newBuilder(base.resolve("/v1/route")).timeout(Duration.ofSeconds(5))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build();
        long t0 = System.nanoTime();
        HttpResponse<byte[]> resp = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
        long nanos = System.nanoTime() - t0;
        if (resp.statusCode() != 200) {
            throw new IOException("router answered " + resp.statusCode() + ": "
                    + new String(resp.body(), java.nio.charset.StandardCharsets.UTF_8));
        }
        JsonNode answer = json.readTree(resp.body());
        return new Answer(answer.path("pod").path("name").asText(), answer.path("sticky").asBoolean(),
                answer.path("indexAvailable").asBoolean(true), nanos);
    }

    /** Waits until every service has {@code pods} routable pods (the bridge reports status about once a second). */
    public boolean awaitRoutable(List<String> services, int pods, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            boolean all = true;
            for (String service : services) {
                all &= routable(service) >= pods;
            }
            if (all) {
                return true;
            }
            Thread.sleep(200);
        }
        return false;
    }

    private int routable(String service) throws InterruptedException {
        try {
            HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(base.resolve("/v1/services/" + namespace + "/"
                            + service + "/pods?filter=routable")).timeout(Duration.ofSeconds(2)).GET().build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            return r.statusCode() == 200 ? json.readTree(r.body()).path("pods").size() : 0;
        } catch (IOException e) {
            return 0;
        }
    }
}
