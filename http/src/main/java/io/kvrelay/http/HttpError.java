package io.kvrelay.http;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A failure with the status it answers: thrown by a handler (or made by {@link ErrorMapper} from a part's own
 * exception) and written as JSON {@code {"error": message, ...details}}. 4xx is the client's fault; 503 only for a
 * dependency that is down (with {@code Retry-After}).
 */
public final class HttpError extends RuntimeException {
    private final int status;
    private final Map<String, Object> details;

    public HttpError(int status, String message) {
        this(status, message, Map.of());
    }

    public HttpError(int status, String message, Map<String, Object> details) {
        super(message, null, false, false);
        if (status < 400 || status > 599) {
            throw new IllegalArgumentException("an error status is 4xx or 5xx, got " + status);
        }
        this.status = status;
        this.details = Map.copyOf(details);
    }

    public static HttpError badRequest(String message) {
        return new HttpError(400, message);
    }

    public static HttpError unauthorized(String message) {
        return new HttpError(401, message);
    }

    public static HttpError forbidden(String message) {
        return new HttpError(403, message);
    }

    public static HttpError notFound(String message) {
        return new HttpError(404, message);
    }

    /** A dependency (Redis, Kafka, stream-app) cannot answer now; the client should retry after this long. */
    public static HttpError unavailable(String message, long retryAfterMs) {
        return new HttpError(503, message, Map.of("retryAfterMs", retryAfterMs));
    }

    public int status() {
        return status;
    }

    /** The JSON body: the message first, then the details. */
    public Map<String, Object> body() {
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("error", getMessage());
        b.putAll(details);
        return b;
    }

    /** Seconds for {@code Retry-After}, or -1 when there is none. */
    long retryAfterSeconds() {
        Object ms = details.get("retryAfterMs");
        return ms instanceof Number n ? Math.max(1, (n.longValue() + 999) / 1000) : -1;
    }
}
