package io.kvrelay.router.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.kvrelay.router.clients.StreamAppClient;
import io.kvrelay.router.links.LinksUnavailableException;
import io.kvrelay.router.links.NamespaceNotOwnedException;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * router-api's HTTP adapter (JDK HttpServer). Routes live in {@link RouterRoutes}; this class owns the server, the
 * request-size limit, JSON, and the one mapping from failures to statuses: bad input 400, not owned 403, unknown 404,
 * Redis or stream-app unavailable for an operation that needs them 503 with {@code Retry-After}. A routing decision
 * itself degrades instead of failing (see {@code RouteDecider}).
 */
public final class RouterHttpServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RouterHttpServer.class);
    static final int MAX_BODY = 4 * 1024 * 1024;

    private final HttpServer server;
    private final ExecutorService pool;
    private final ObjectMapper json;
    private final RouterRoutes routes;
    private final PrometheusMeterRegistry metrics;

    public RouterHttpServer(String host, int port, int threads, ObjectMapper json, RouterRoutes routes,
                            PrometheusMeterRegistry metrics) throws IOException {
        this.json = json;
        this.routes = routes;
        this.metrics = metrics;
        this.server = HttpServer.create(new InetSocketAddress(host, port), 1024);
        this.pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "router-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(pool);
        server.createContext("/", this::handle);
    }

    public RouterHttpServer start() {
        server.start();
        log.info("router API on http://{}:{}", server.getAddress().getHostString(), port());
        return this;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** A handler's answer: status, JSON body (or text for /metrics). */
    public record Reply(int status, Object body) {
        public static Reply ok(Object body) {
            return new Reply(200, body);
        }

        public static Reply error(int status, String message) {
            return new Reply(status, Map.of("error", message));
        }
    }

    /**
     * What a route sees of the request. The body is parsed into a JSON tree only when a route asks for it:
     * {@code /v1/route} reads its raw bytes with a streaming parser instead.
     */
    public static final class Request {
        private final String method;
        private final String[] path;
        private final String query;
        private final String authorization;
        private final byte[] raw;
        private final ObjectMapper json;
        private JsonNode body;

        public Request(String method, String[] path, String query, String authorization, byte[] raw, ObjectMapper json) {
            this.method = method;
            this.path = path;
            this.query = query;
            this.authorization = authorization;
            this.raw = raw;
            this.json = json;
        }

        public String method() {
            return method;
        }

        public String[] path() {
            return path;
        }

        public String authorization() {
            return authorization;
        }

        public byte[] raw() {
            return raw;
        }

        public ObjectMapper json() {
            return json;
        }

        /** The body as a JSON tree, or null when empty. */
        public JsonNode body() {
            if (body == null && raw.length > 0) {
                try {
                    body = json.readTree(raw);
                } catch (IOException e) {
                    throw new IllegalArgumentException("invalid JSON: "
                            + (e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
                }
            }
            return body;
        }

        public String queryParam(String name) {
            if (query == null) {
                return null;
            }
            for (String kv : query.split("&")) {
                int eq = kv.indexOf('=');
                if (eq > 0 && kv.substring(0, eq).equals(name)) {
                    return URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8);
                }
            }
            return null;
        }
    }

    private void handle(HttpExchange ex) throws IOException {
        Reply reply;
        try {
            String path = ex.getRequestURI().getPath();
            if (path.equals("/metrics")) {
                reply = Reply.ok(metrics.scrape());
            } else {
                reply = routes.handle(new Request(ex.getRequestMethod(), segments(path),
                        ex.getRequestURI().getRawQuery(), ex.getRequestHeaders().getFirst("Authorization"),
                        readBody(ex), json));
            }
        } catch (JsonProcessingException e) {
            reply = Reply.error(400, "invalid JSON: " + e.getOriginalMessage());
        } catch (IllegalArgumentException e) {
            reply = Reply.error(400, e.getMessage());
        } catch (RouterRoutes.NotAllowed e) {
            reply = Reply.error(e.status, e.getMessage());
        } catch (NamespaceNotOwnedException e) {
            reply = Reply.error(403, e.getMessage());
        } catch (LinksUnavailableException e) {
            reply = new Reply(503, Map.of("error", "Redis unavailable: " + e.getMessage(), "retryAfterMs", 1000));
        } catch (StreamAppClient.Unavailable e) {
            reply = new Reply(503, Map.of("error", "stream-app unavailable: " + e.getMessage(), "retryAfterMs", 1000));
        } catch (Exception e) {
            log.warn("{} {} failed", ex.getRequestMethod(), ex.getRequestURI(), e);
            reply = Reply.error(500, "internal error: " + e);
        }
        try (ex) {
            byte[] out;
            if (reply.body() instanceof String text) {
                out = text.getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            } else {
                out = json.writeValueAsBytes(reply.body());
                ex.getResponseHeaders().set("Content-Type", "application/json");
            }
            if (reply.status() == 503) {
                ex.getResponseHeaders().set("Retry-After", "1");
            }
            ex.sendResponseHeaders(reply.status(), out.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(out);
            }
        }
    }

    private static byte[] readBody(HttpExchange ex) throws IOException {
        try (InputStream in = ex.getRequestBody()) {
            byte[] b = in.readNBytes(MAX_BODY + 1);
            if (b.length > MAX_BODY) {
                throw new IllegalArgumentException("body larger than " + MAX_BODY + " bytes");
            }
            return b;
        }
    }

    private static String[] segments(String path) {
        String p = path.startsWith("/") ? path.substring(1) : path;
        String[] s = p.split("/");
        for (int i = 0; i < s.length; i++) {
            s[i] = URLDecoder.decode(s[i], StandardCharsets.UTF_8);
        }
        return s;
    }

    @Override
    public void close() {
        server.stop(0);
        pool.shutdownNow();
    }
}
