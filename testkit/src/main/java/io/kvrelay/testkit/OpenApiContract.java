package io.kvrelay.testkit;

import com.atlassian.oai.validator.OpenApiInteractionValidator;
import com.atlassian.oai.validator.interaction.ApiOperationResolver;
import com.atlassian.oai.validator.model.ApiOperationMatch;
import com.atlassian.oai.validator.model.Request;
import com.atlassian.oai.validator.model.SimpleRequest;
import com.atlassian.oai.validator.model.SimpleResponse;
import com.atlassian.oai.validator.report.SimpleValidationReportFormat;
import com.atlassian.oai.validator.report.ValidationReport;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.parser.OpenAPIV3Parser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListSet;

/**
 * A module's OpenAPI spec as the oracle of its integration tests: every exchange a test makes through it is checked
 * against the operation it hit (status declared, content type, body against the schema; for a 2xx, the request too),
 * where an object property the schema does not declare fails unless the schema allows {@code additionalProperties};
 * and {@link #assertEveryOperationCalled()} fails when an operation of the spec was never called. A failed check
 * throws an {@link AssertionError} that lists what the spec does not allow. Thread-safe.
 */
public final class OpenApiContract {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final Path spec;
    private final OpenApiInteractionValidator validator;
    private final ApiOperationResolver resolver;
    private final Set<String> operations = new TreeSet<>();
    private final Set<String> called = new ConcurrentSkipListSet<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();

    private OpenApiContract(Path spec, String text) {
        this.spec = spec;
        this.validator = OpenApiInteractionValidator.createForInlineApiSpecification(text).build();
        OpenAPI api = new OpenAPIV3Parser().readContents(text).getOpenAPI();
        if (api == null || api.getPaths() == null) {
            throw new IllegalArgumentException(spec + " is not an OpenAPI 3 description");
        }
        this.resolver = new ApiOperationResolver(api, null, false);
        api.getPaths().forEach((path, item) -> item.readOperationsMap()
                .keySet().forEach(m -> operations.add(m.name() + " " + path)));
    }

    /** Reads the spec, e.g. {@code Path.of("openapi.yaml")} from a module's own directory (failsafe's working dir). */
    public static OpenApiContract load(Path spec) {
        try {
            return new OpenApiContract(spec, Files.readString(spec));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + spec.toAbsolutePath(), e);
        }
    }

    /** A client of the server at {@code base} (e.g. {@code http://127.0.0.1:8080}) whose exchanges are checked. */
    public Client client(String base) {
        return new Client(URI.create(base), Map.of());
    }

    /** The operations of the spec, as {@code "GET /v1/things/{id}"}. */
    public Set<String> operations() {
        return Set.copyOf(operations);
    }

    /** Fails listing the operations no exchange has hit. */
    public void assertEveryOperationCalled() {
        Set<String> missing = new TreeSet<>(operations);
        missing.removeAll(called);
        if (!missing.isEmpty()) {
            throw new AssertionError(spec + ": operations never called by the test: " + missing);
        }
    }

    /** Sends requests and checks each exchange against the spec. Immutable. */
    public final class Client {
        private final URI base;
        private final Map<String, String> headers;

        private Client(URI base, Map<String, String> headers) {
            this.base = base;
            this.headers = headers;
        }

        /** This client, sending {@code Authorization: Bearer <token>} too. */
        public Client withToken(String token) {
            return new Client(base, Map.of("Authorization", "Bearer " + token));
        }

        public HttpResponse<String> get(String pathAndQuery) {
            return send("GET", pathAndQuery, null);
        }

        public HttpResponse<String> post(String pathAndQuery, String json) {
            return send("POST", pathAndQuery, json);
        }

        public HttpResponse<String> put(String pathAndQuery, String json) {
            return send("PUT", pathAndQuery, json);
        }

        public HttpResponse<String> delete(String pathAndQuery) {
            return send("DELETE", pathAndQuery, null);
        }

        /** Sends and checks the exchange against the operation {@code method} + path; returns the response. */
        public HttpResponse<String> send(String method, String pathAndQuery, String json) {
            return sendAs(method, method, pathAndQuery, json);
        }

        /**
         * Sends with {@code method} but checks the response against the spec's operation {@code specMethod} on the
         * same path: for an answer to a method the path does not have (405), whose body the spec declares there.
         */
        public HttpResponse<String> sendAs(String specMethod, String method, String pathAndQuery, String json) {
            HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(pathAndQuery)).timeout(TIMEOUT)
                    .method(method, json == null ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofString(json));
            if (json != null) {
                b.header("Content-Type", "application/json");
            }
            headers.forEach(b::header);
            HttpResponse<String> response;
            try {
                response = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                throw new UncheckedIOException(method + " " + pathAndQuery, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
            check(specMethod, method.equals(specMethod), pathAndQuery, json, headers, response);
            return response;
        }
    }

    private void check(String specMethod, boolean sameMethod, String pathAndQuery, String json,
                       Map<String, String> headers, HttpResponse<String> response) {
        URI uri = URI.create(pathAndQuery);
        String path = uri.getRawPath();
        Request.Method m = Request.Method.valueOf(specMethod.toUpperCase(Locale.ROOT));
        ApiOperationMatch match = resolver.findApiOperation(path, m);
        String exchange = specMethod + " " + pathAndQuery + " -> " + response.statusCode() + " " + response.body();
        if (!match.isPathFound() || !match.isOperationAllowed()) {
            throw new AssertionError(spec + " has no operation for " + exchange);
        }
        called.add(m.name() + " " + match.getApiOperation().getApiPath().original());

        SimpleResponse.Builder rb = SimpleResponse.Builder.status(response.statusCode()).withBody(response.body());
        response.headers().map().forEach(rb::withHeader);
        ValidationReport report = validator.validateResponse(path, m, rb.build());
        int status = response.statusCode();
        // A success must also be a request the spec accepts; error cases send what it rejects on purpose.
        if (sameMethod && status >= 200 && status < 300) {
            SimpleRequest.Builder qb = new SimpleRequest.Builder(m, path);
            if (uri.getRawQuery() != null) {
                for (String kv : uri.getRawQuery().split("&")) {
                    int eq = kv.indexOf('=');
                    String name = URLDecoder.decode(eq < 0 ? kv : kv.substring(0, eq), StandardCharsets.UTF_8);
                    String value = eq < 0 ? "" : URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8);
                    qb.withQueryParam(name, List.of(value));
                }
            }
            if (json != null) {
                qb.withBody(json).withContentType("application/json");
            }
            headers.forEach(qb::withHeader);
            report = report.merge(validator.validateRequest(qb.build()));
        }
        if (report.hasErrors()) {
            throw new AssertionError(spec + " does not allow " + exchange + "\n"
                    + SimpleValidationReportFormat.getInstance().apply(report));
        }
    }
}
