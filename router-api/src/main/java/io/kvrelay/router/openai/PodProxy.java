package io.kvrelay.router.openai;

import io.kvrelay.router.inflight.InFlightLedger;
import io.kvrelay.router.state.PodInfo;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Flow;
import java.util.function.Consumer;

/**
 * Forwards a request to the pod the router chose and hands back the pod's answer as it comes. Another pod is tried
 * only where the first cannot have started the work: the connection was refused or did not open in time, or the pod
 * answered 503 (vLLM's "not ready / overloaded"). Anything else the pod answers is the answer. Each attempt counts
 * as open on its pod in the in-flight ledger until the answer ends, fails or the client leaves. Thread-safe.
 */
public final class PodProxy {
    private final HttpClient http;
    private final InFlightLedger inFlight;
    private final Duration responseTimeout;
    private final int maxAttempts;

    public PodProxy(HttpClient http, InFlightLedger inFlight, Duration responseTimeout, int maxAttempts) {
        this.http = http;
        this.inFlight = inFlight;
        this.responseTimeout = responseTimeout;
        this.maxAttempts = maxAttempts;
    }

    /**
     * The pod's answer as it starts: which pod (after how many attempts), its status and headers, its body to be
     * relayed with {@link #relay}. {@code release} ends the request's in-flight accounting (relay calls it).
     */
    public record Upstream(PodInfo pod, int attempts, HttpResponse<Flow.Publisher<List<ByteBuffer>>> response,
                           Runnable release) {
        public String contentType() {
            return response.headers().firstValue("content-type").orElse("application/json");
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
        HttpRequest.Builder req = HttpRequest.newBuilder(URI.create("http://" + pod.address() + path))
                .timeout(responseTimeout).POST(HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(req::header);
        Runnable release = inFlight.open(pod.id());
        return http.sendAsync(req.build(), HttpResponse.BodyHandlers.ofPublisher()).handle((res, err) -> {
            if (err != null) {
                release.run();
                Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
                if (cause instanceof ConnectException || cause instanceof HttpConnectTimeoutException) {
                    return attempt(pods, i + 1, path, body, headers, pod.pod() + ": " + describe(cause));
                }
                return CompletableFuture.<Upstream>failedFuture(cause);
            }
            if (res.statusCode() == 503) {
                release.run();
                discard(res.body());
                return attempt(pods, i + 1, path, body, headers, pod.pod() + " answered 503");
            }
            return CompletableFuture.completedFuture(new Upstream(pod, i + 1, res, release));
        }).thenCompose(f -> f);
    }

    /**
     * Relays the pod's body: each piece to {@code piece} as it arrives (the next is asked for once it returns), then
     * {@code end} with null, or with the failure that cut it short. The returned handle cancels: the connection to
     * the pod closes, so the pod stops the request. Either way the request's in-flight accounting ends.
     */
    public static Runnable relay(Upstream up, Consumer<byte[]> piece, Consumer<Throwable> end) {
        Flow.Subscription[] held = new Flow.Subscription[1];
        Object lock = new Object();
        boolean[] cancelled = new boolean[1];
        up.response().body().subscribe(new Flow.Subscriber<>() {
            @Override
            public void onSubscribe(Flow.Subscription s) {
                synchronized (lock) {
                    held[0] = s;
                    if (cancelled[0]) {
                        s.cancel();
                        return;
                    }
                }
                s.request(1);
            }

            @Override
            public void onNext(List<ByteBuffer> buffers) {
                int n = 0;
                for (ByteBuffer b : buffers) {
                    n += b.remaining();
                }
                byte[] out = new byte[n];
                int at = 0;
                for (ByteBuffer b : buffers) {
                    int len = b.remaining();
                    b.get(out, at, len);
                    at += len;
                }
                if (n > 0) {
                    piece.accept(out);
                }
                held[0].request(1);
            }

            @Override
            public void onError(Throwable t) {
                up.release().run();
                end.accept(t);
            }

            @Override
            public void onComplete() {
                up.release().run();
                end.accept(null);
            }
        });
        return () -> {
            Flow.Subscription s;
            synchronized (lock) {
                cancelled[0] = true;
                s = held[0];
            }
            if (s != null) {
                s.cancel();
            }
            up.release().run();
        };
    }

    private static void discard(Flow.Publisher<List<ByteBuffer>> body) {
        body.subscribe(new Flow.Subscriber<>() {
            @Override
            public void onSubscribe(Flow.Subscription s) {
                s.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(List<ByteBuffer> item) {
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onComplete() {
            }
        });
    }

    private static String describe(Throwable t) {
        return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : " " + t.getMessage());
    }
}
