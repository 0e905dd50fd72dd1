package io.kvrelay.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a matched route's handler where its {@link Routes.Mode} says, and turns every failure into an
 * {@link HttpError}: the part's {@link ErrorMapper} first, then 400 for bad input, else a logged 500.
 */
final class Dispatcher {
    private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);

    final Routes routes;
    final ObjectMapper json;
    private final ErrorMapper errors;
    final Executor workers;
    final HttpLimits limits;

    final HttpMetrics metrics;

    Dispatcher(Routes routes, ObjectMapper json, ErrorMapper errors, Executor workers, HttpLimits limits,
               HttpMetrics metrics) {
        this.metrics = metrics;
        this.routes = routes;
        this.json = json;
        this.errors = errors;
        this.workers = workers;
        this.limits = limits;
    }

    CompletionStage<Reply> dispatch(Routes.Route route, Request r) {
        if (route.mode() == Routes.Mode.EVENT_LOOP) {
            return call(route, r);
        }
        CompletableFuture<Reply> out = new CompletableFuture<>();
        try {
            workers.execute(() -> call(route, r).whenComplete((v, e) -> {
                if (e != null) {
                    out.completeExceptionally(e);
                } else {
                    out.complete(v);
                }
            }));
        } catch (RejectedExecutionException e) {
            out.complete(error(new HttpError(503, "server busy: every worker is taken and the queue is full",
                    java.util.Map.of("retryAfterMs", 1000))));
        }
        return out;
    }

    private CompletionStage<Reply> call(Routes.Route route, Request r) {
        try {
            CompletionStage<Reply> s = route.handler().handle(r);
            return s.exceptionally(e -> error(unwrap(e), r));
        } catch (Throwable e) {
            return CompletableFuture.completedFuture(error(e, r));
        }
    }

    /** The reply for a failure of this request. */
    Reply error(Throwable e, Request r) {
        HttpError h = toHttp(e);
        if (h == null) {
            log.warn("{} {} failed", r.method(), r.path(), e);
            h = new HttpError(500, "internal error: " + e.getClass().getSimpleName());
        }
        return error(h);
    }

    static Reply error(HttpError h) {
        return new Reply(h.status(), h);
    }

    private HttpError toHttp(Throwable e) {
        if (e instanceof HttpError h) {
            return h;
        }
        HttpError mapped = errors.map(e);
        if (mapped != null) {
            return mapped;
        }
        if (e instanceof JsonProcessingException j) {
            return HttpError.badRequest("invalid JSON: " + j.getOriginalMessage());
        }
        if (e instanceof IllegalArgumentException) {
            return HttpError.badRequest(e.getMessage());
        }
        if (e instanceof RejectedExecutionException) {
            return new HttpError(503, "server busy: every worker is taken and the queue is full",
                    java.util.Map.of("retryAfterMs", 1000));
        }
        return null;
    }

    private static Throwable unwrap(Throwable e) {
        while (e instanceof CompletionException && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }
}
