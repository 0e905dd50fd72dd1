package io.kvrelay.router.openai;

import io.kvrelay.router.inflight.InFlightLedger;
import io.kvrelay.router.state.PodInfo;
import io.kvrelay.http.client.UpstreamClient;
import java.net.ConnectException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;

/**
 * Forwards a request to the pod the router chose and hands back the pod's answer as it comes, on the router's own
 * event loops ({@link UpstreamClient}: no thread hand-off per request or per relayed chunk, pooled keep-alive
 * connections, at most a bound per loop and pod). Another pod is tried only where the first cannot have started the
 * work: the connection was refused or did not open in time, or the pod answered 503 (vLLM's "not ready /
 * overloaded"). Anything else the pod answers is the answer. Each attempt counts as open on its pod in the in-flight
 * ledger until the answer ends, fails or the client leaves. Thread-safe.
 */
public final class PodProxy {
    private final UpstreamClient http;
    private final InFlightLedger inFlight;
    private final long responseTimeoutMs;
    private final int maxAttempts;

    public PodProxy(UpstreamClient http, InFlightLedger inFlight, Duration responseTimeout, int maxAttempts) {
        this.http = http;
        this.inFlight = inFlight;
        this.responseTimeoutMs = responseTimeout.toMillis();
        this.maxAttempts = maxAttempts;
    }

    /**
     * The pod's answer as it starts: which pod (after how many attempts), its status and headers, its body to be
     * relayed with {@link #relay}. {@code release} ends the request's in-flight accounting (relay calls it).
     */
    public record Upstream(PodInfo pod, int attempts, UpstreamClient.Response response, Runnable release) {
        public String contentType() {
            return response.headers().getOrDefault("content-type", "application/json");
        }
    }

    /** No pod took the request: every one tried refused, timed out or answered 503 (the last reason given). */
    public static final class NoPodTookIt extends RuntimeException {
        private final int attempts;

        NoPodTookIt(String message, int attempts) {
            super(message, null, false, false);
            this.attempts = attempts;
        }

        public int attempts() {
            return attempts;
        }
    }

    /**
     * Sends {@code body} to {@code path} on the first of {@code pods} (best first) that takes it, trying at most
     * {@code maxAttempts} of them.
     */
    public CompletableFuture<Upstream> send(List<PodInfo> pods, String path, byte[] body, Map<String, String> headers) {
        List<PodInfo> able = pods.stream().filter(p -> p.address() != null).limit(maxAttempts).toList();
        if (able.isEmpty()) {
            return CompletableFuture.failedFuture(new NoPodTookIt("no pod with a serving address", 0));
        }
        return attempt(able, 0, path, body, headers, null);
    }

    private CompletableFuture<Upstream> attempt(List<PodInfo> pods, int i, String path, byte[] body,
                                                Map<String, String> headers, String lastFailure) {
        if (i >= pods.size()) {
            return CompletableFuture.failedFuture(new NoPodTookIt(lastFailure, i));
        }
        PodInfo pod = pods.get(i);
        PodAddress at = PodAddress.parse(pod.address());
        Runnable release = inFlight.open(pod.id());
        return http.send(at.host(), at.port(), "POST", path, headers, body, responseTimeoutMs).handle((res, err) -> {
            if (err != null) {
                release.run();
                Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
                if (cause instanceof ConnectException) {
                    return attempt(pods, i + 1, path, body, headers, pod.pod() + ": " + describe(cause));
                }
                return CompletableFuture.<Upstream>failedFuture(cause);
            }
            if (res.status() == 503) {
                release.run();
                res.body(piece -> { }, end -> { }); // read to its end: the connection stays usable
                return attempt(pods, i + 1, path, body, headers, pod.pod() + " answered 503");
            }
            return CompletableFuture.completedFuture(new Upstream(pod, i + 1, res, release));
        }).thenCompose(f -> f);
    }

    /**
     * Relays the pod's body: each piece to {@code piece} as it arrives, then {@code end} with null, or with the
     * failure that cut it short. The returned handle cancels: the connection to the pod closes, so the pod stops the
     * request. Either way the request's in-flight accounting ends.
     */
    public static Runnable relay(Upstream up, Consumer<byte[]> piece, Consumer<Throwable> end) {
        up.response().body(piece, failure -> {
            up.release().run();
            end.accept(failure);
        });
        return () -> {
            up.release().run();
            up.response().cancel();
        };
    }

    private static String describe(Throwable t) {
        return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : " " + t.getMessage());
    }
}
