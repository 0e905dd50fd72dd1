package io.kvrelay.http;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A part's endpoints: method, path pattern ({@code /v1/links/{ns}/{user}}), how the handler runs, and the body it
 * accepts. The one place that answers 404 (no such path) and 405 (the path exists, not with this method).
 */
public final class Routes {
    /** A handler that answers at once. */
    @FunctionalInterface
    public interface Handler {
        Reply handle(Request r) throws Exception;
    }

    /** A handler whose answer comes later (e.g. after a remote call), without holding a thread meanwhile. */
    @FunctionalInterface
    public interface AsyncHandler {
        CompletionStage<Reply> handle(Request r) throws Exception;
    }

    /**
     * Where a handler runs. {@code EVENT_LOOP}: on the connection's event loop, no hand-off; only for handlers that
     * never block (in-memory reads, metrics). {@code WORKER}: on the server's bounded worker pool (Redis, Kafka).
     */
    public enum Mode { EVENT_LOOP, WORKER }

    /**
     * The body an error is written as, for APIs whose clients expect their own shape (OpenAI's
     * {@code {"error": {"message", "type", ...}}}) instead of kvrelay's {@code {"error": message, ...}}.
     */
    @FunctionalInterface
    public interface ErrorShape {
        Object body(HttpError e);

        ErrorShape KVRELAY = HttpError::body;
    }

    /** One endpoint. {@code maxBodyBytes} 0 = the server's default. */
    public record Route(String method, String pattern, Mode mode, int maxBodyBytes, AsyncHandler handler,
                        ErrorShape errorShape) {
        public Route {
            errorShape = errorShape == null ? ErrorShape.KVRELAY : errorShape;
        }
    }

    /** A route with its pattern split once: matching runs on every request. */
    private record Entry(Route route, String[] parts) {
    }

    /** The route a request path matched, with its parameters. */
    record Match(Route route, Map<String, String> params) {
    }

    private final List<Entry> routes = new ArrayList<>();
    private ErrorShape errorShape = ErrorShape.KVRELAY;

    /**
     * The error shape of the routes added after this call (the body limit's 413 included); 404 and 405 for paths no
     * route matches keep kvrelay's.
     */
    public Routes errorShape(ErrorShape shape) {
        this.errorShape = shape == null ? ErrorShape.KVRELAY : shape;
        return this;
    }

    public Routes get(String pattern, Handler h) {
        return add("GET", pattern, Mode.EVENT_LOOP, 0, h);
    }

    public Routes add(String method, String pattern, Mode mode, int maxBodyBytes, Handler h) {
        return addAsync(method, pattern, mode, maxBodyBytes, r -> CompletableFuture.completedFuture(h.handle(r)));
    }

    public Routes addAsync(String method, String pattern, Mode mode, int maxBodyBytes, AsyncHandler h) {
        if (!pattern.startsWith("/")) {
            throw new IllegalArgumentException("a pattern starts with '/': " + pattern);
        }
        String[] parts = split(pattern);
        for (Entry e : routes) {
            if (e.route().method().equals(method) && Arrays.equals(shape(e.parts()), shape(parts))) {
                throw new IllegalArgumentException("two routes for " + method + " " + pattern);
            }
        }
        routes.add(new Entry(new Route(method, pattern, mode, maxBodyBytes, h, errorShape), parts));
        return this;
    }

    /**
     * The route for this request. A literal segment wins over a parameter, so {@code /v1/links/compute} is not
     * {@code /v1/links/{ns}}.
     *
     * @throws HttpError 404 when no pattern matches the path, 405 when one does with another method
     */
    Match match(String method, String[] segments) {
        Match best = null;
        int bestLiterals = -1;
        Set<String> allowed = new TreeSet<>();
        for (Entry e : routes) {
            Route r = e.route();
            String[] p = e.parts();
            if (p.length != segments.length) {
                continue;
            }
            int literals = 0;
            boolean ok = true;
            for (int i = 0; i < p.length && ok; i++) {
                if (isParam(p[i])) {
                    ok = !segments[i].isEmpty();
                } else {
                    ok = p[i].equals(segments[i]);
                    literals++;
                }
            }
            if (!ok) {
                continue;
            }
            if (!r.method().equals(method)) {
                allowed.add(r.method());
                continue;
            }
            if (literals > bestLiterals) {
                Map<String, String> params = new LinkedHashMap<>();
                for (int i = 0; i < p.length; i++) {
                    if (isParam(p[i])) {
                        params.put(p[i].substring(1, p[i].length() - 1), segments[i]);
                    }
                }
                best = new Match(r, params);
                bestLiterals = literals;
            }
        }
        if (best != null) {
            return best;
        }
        if (!allowed.isEmpty()) {
            throw new HttpError(405, "use " + String.join(" or ", allowed) + " for /" + String.join("/", segments),
                    Map.of("allow", String.join(", ", allowed)));
        }
        throw HttpError.notFound("no such endpoint: " + method + " /" + String.join("/", segments));
    }

    private static boolean isParam(String s) {
        return s.length() > 2 && s.charAt(0) == '{' && s.charAt(s.length() - 1) == '}';
    }

    private static String[] shape(String[] parts) {
        String[] s = parts.clone();
        for (int i = 0; i < s.length; i++) {
            s[i] = isParam(s[i]) ? "{}" : s[i];
        }
        return s;
    }

    static String[] split(String path) {
        String p = path.startsWith("/") ? path.substring(1) : path;
        if (p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        return p.isEmpty() ? new String[0] : p.split("/", -1);
    }
}
