package io.kvrelay.http;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A handler's answer: a status and a body, which is JSON (any object Jackson writes), text ({@link Text}), bytes
 * with their own content type ({@link Bytes}), or a body written as it is produced ({@link Stream}); and headers of
 * the handler's own (content type and length are the server's).
 */
public record Reply(int status, Object body, Map<String, String> headers) {
    public Reply {
        headers = headers == null ? Map.of() : Map.copyOf(headers);
    }

    public Reply(int status, Object body) {
        this(status, body, Map.of());
    }

    /** This reply with one more header. */
    public Reply withHeader(String name, String value) {
        Map<String, String> h = new LinkedHashMap<>(headers);
        h.put(name, value);
        return new Reply(status, body, h);
    }

    /** Prometheus text exposition, or any other text. */
    public record Text(String text, String contentType) {
    }

    /** A body already encoded. */
    public record Bytes(byte[] bytes, String contentType) {
    }

    /**
     * A body written while it is produced (server-sent events, an answer relayed from another server): chunked, each
     * piece flushed when sent. {@code body} starts once the head is written, on the connection's event loop.
     */
    public record Stream(String contentType, StreamBody body) {
    }

    /** Produces a streamed body into its sink, now or later, from any one thread at a time. */
    @FunctionalInterface
    public interface StreamBody {
        void start(StreamSink sink);
    }

    /** Where a streamed body goes. */
    public interface StreamSink {
        /** Sends a piece, flushed at once; false (and nothing sent) once the client has gone or the body ended. */
        boolean send(byte[] piece);

        /** Ends the body; the connection then serves the client's next request. Later calls do nothing. */
        void end();

        /**
         * {@code r} runs once if the client goes before {@link #end()} (it closed the connection: stop producing,
         * free what the stream holds); at once if it has already gone.
         */
        void onClientGone(Runnable r);
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
