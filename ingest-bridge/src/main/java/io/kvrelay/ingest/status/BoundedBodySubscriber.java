package io.kvrelay.ingest.status;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Collects a response body up to a size limit. Past the limit, or when {@link #abort} is called (the scrape's
 * deadline), it cancels the subscription, which makes the HTTP client drop the connection: the JDK client's request
 * timeout stops at the response headers, so without this a pod that trickles its body would hold a scrape open.
 *
 * <p>Thread-safe: the client serialises onNext/onComplete; {@link #abort} may come from any thread.
 */
final class BoundedBodySubscriber implements HttpResponse.BodySubscriber<byte[]> {
    private final int limit;
    private final CompletableFuture<byte[]> body = new CompletableFuture<>();
    private final AtomicReference<Flow.Subscription> subscription = new AtomicReference<>();
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(16 * 1024);

    BoundedBodySubscriber(int limit) {
        this.limit = limit;
    }

    /** The body was larger than the limit. */
    static final class BodyTooLargeException extends IOException {
        BodyTooLargeException(int limit) {
            super("response body larger than " + limit + " bytes");
        }
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
        if (!subscription.compareAndSet(null, s) || body.isDone()) {
            s.cancel();
            return;
        }
        s.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> items) {
        if (body.isDone()) {
            return;
        }
        for (ByteBuffer b : items) {
            int n = b.remaining();
            if (buffer.size() + (long) n > limit) {
                abort(new BodyTooLargeException(limit));
                return;
            }
            byte[] chunk = new byte[n];
            b.get(chunk);
            buffer.write(chunk, 0, n);
        }
    }

    @Override
    public void onError(Throwable error) {
        body.completeExceptionally(error);
    }

    @Override
    public void onComplete() {
        body.complete(buffer.toByteArray());
    }

    @Override
    public CompletionStage<byte[]> getBody() {
        return body;
    }

    /** Stops reading and fails the body with {@code why}; no effect once the body is complete. */
    void abort(Throwable why) {
        if (body.completeExceptionally(why)) {
            Flow.Subscription s = subscription.get();
            if (s != null) {
                s.cancel();
            }
        }
    }
}
