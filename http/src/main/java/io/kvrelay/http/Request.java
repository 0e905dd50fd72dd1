package io.kvrelay.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * What a handler sees of a request, free of the transport's types: method, path parameters (named in the route's
 * pattern), query parameters, headers, and the whole body (already bounded by the route's limit).
 */
public final class Request {
    private final String method;
    private final String path;
    private final Map<String, String> params;
    private final Map<String, List<String>> query;
    private final Function<String, String> headers;
    private final byte[] body;
    private final ObjectMapper json;
    private final java.util.concurrent.Executor loop;
    private final java.util.concurrent.Executor workers;
    private JsonNode tree;

    /**
     * @param loop    where the connection's work runs (its event loop); null = the calling thread
     * @param workers the server's pool for work that may block; null = the calling thread
     */
    public Request(String method, String path, Map<String, String> params, Map<String, List<String>> query,
                   Function<String, String> headers, byte[] body, ObjectMapper json,
                   java.util.concurrent.Executor loop, java.util.concurrent.Executor workers) {
        this.loop = loop == null ? Runnable::run : loop;
        this.workers = workers == null ? Runnable::run : workers;
        this.method = method;
        this.path = path;
        this.params = params;
        this.query = query;
        this.headers = headers;
        this.body = body;
        this.json = json;
    }

    public String method() {
        return method;
    }

    public String path() {
        return path;
    }

    /** A path parameter of the route's pattern ({@code {ns}} → {@code param("ns")}), URL-decoded. */
    public String param(String name) {
        String v = params.get(name);
        if (v == null) {
            throw new IllegalStateException("the route has no parameter " + name);
        }
        return v;
    }

    /** The first value of a query parameter, or null. */
    public String query(String name) {
        List<String> v = query.get(name);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    /** A header's first value (name case-insensitive), or null. */
    public String header(String name) {
        return headers.apply(name);
    }

    public byte[] body() {
        return body;
    }

    public ObjectMapper json() {
        return json;
    }

    /**
     * The connection's event loop, for an async handler to continue on: an answer arriving on another thread (a
     * client library's single I/O thread) would otherwise do every request's remaining work on that one thread.
     */
    public java.util.concurrent.Executor loop() {
        return loop;
    }

    /**
     * The server's bounded worker pool, for an async handler whose remaining work may block (a Redis call with a
     * deadline): blocking the event loop would stall every connection on it. A full pool fails the stage (503).
     */
    public java.util.concurrent.Executor workers() {
        return workers;
    }

    /** The body as a JSON tree; an empty body is an empty object. Malformed JSON is a 400. */
    public JsonNode jsonBody() {
        if (tree == null) {
            if (body.length == 0) {
                tree = json.createObjectNode();
            } else {
                try {
                    tree = json.readTree(body);
                } catch (IOException e) {
                    throw HttpError.badRequest("invalid JSON: "
                            + (e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
                }
                if (tree == null || tree.isMissingNode()) {
                    tree = json.createObjectNode();
                }
            }
        }
        return tree;
    }
}
