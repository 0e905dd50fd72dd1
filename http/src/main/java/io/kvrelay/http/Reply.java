package io.kvrelay.http;

/**
 * A handler's answer: a status and a body, which is JSON (any object Jackson writes), text ({@link Text}) or bytes
 * with their own content type ({@link Bytes}).
 */
public record Reply(int status, Object body) {
    /** Prometheus text exposition, or any other text. */
    public record Text(String text, String contentType) {
    }

    /** A body already encoded. */
    public record Bytes(byte[] bytes, String contentType) {
    }

    public static Reply ok(Object body) {
        return new Reply(200, body);
    }

    public static Reply of(int status, Object body) {
        return new Reply(status, body);
    }

    public static Reply metrics(String exposition) {
        return new Reply(200, new Text(exposition, "text/plain; version=0.0.4; charset=utf-8"));
    }
}
