package io.kvrelay.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The oracle is not vacuous: what the spec does not allow fails, on a loopback server with canned answers. A property a
 * schema does not declare fails too, unless the schema says {@code additionalProperties} (as Error does).
 */
class OpenApiContractTest {
    private static final String SPEC = """
            openapi: 3.0.3
            info: {title: t, version: '1'}
            paths:
              /things/{id}:
                get:
                  parameters:
                    - {name: id, in: path, required: true, schema: {type: string}}
                  responses:
                    '200':
                      description: a thing
                      content:
                        application/json:
                          schema:
                            type: object
                            required: [id, count]
                            properties:
                              id: {type: string}
                              count: {type: integer}
                    '404':
                      description: none
                      content:
                        application/json:
                          schema: {$ref: '#/components/schemas/Error'}
                delete:
                  parameters:
                    - {name: id, in: path, required: true, schema: {type: string}}
                  responses:
                    '200':
                      description: deleted
                      content:
                        text/plain:
                          schema: {type: string}
            components:
              schemas:
                Error:
                  type: object
                  required: [error]
                  additionalProperties: true
                  properties:
                    error: {type: string}
            """;

    /** path → status, content type, body. */
    private static final Map<String, String[]> ANSWERS = Map.of(
            "/things/good", new String[] {"200", "application/json", "{\"id\":\"good\",\"count\":3}"},
            "/things/missing", new String[] {"404", "application/json", "{\"error\":\"no thing\",\"limit\":4}"},
            "/things/no-count", new String[] {"200", "application/json", "{\"id\":\"x\"}"},
            "/things/string-count", new String[] {"200", "application/json", "{\"id\":\"x\",\"count\":\"3\"}"},
            "/things/bad-error", new String[] {"404", "application/json", "{\"message\":\"no thing\"}"},
            "/things/html-404", new String[] {"404", "text/html", "<h1>404 Not Found</h1>"},
            "/things/extra", new String[] {"200", "application/json", "{\"id\":\"x\",\"count\":3,\"surprise\":1}"},
            "/things/teapot", new String[] {"418", "application/json", "{\"error\":\"teapot\"}"});

    @TempDir
    Path dir;
    private HttpServer server;
    private OpenApiContract contract;
    private OpenApiContract.Client client;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        server.createContext("/", ex -> {
            String[] a = ex.getRequestMethod().equals("DELETE")
                    ? new String[] {"200", "text/plain", "deleted"}
                    : ANSWERS.getOrDefault(ex.getRequestURI().getPath(),
                            new String[] {"404", "application/json", "{\"error\":\"no such endpoint\"}"});
            byte[] body = a[2].getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", a[1]);
            ex.sendResponseHeaders(Integer.parseInt(a[0]), body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        Path spec = Files.writeString(dir.resolve("openapi.yaml"), SPEC);
        contract = OpenApiContract.load(spec);
        client = contract.client("http://127.0.0.1:" + server.getAddress().getPort());
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    @Test
    void shouldAcceptWhatTheSpecAllowsAndCountTheOperationsCalled() {
        assertThat(contract.operations()).containsExactlyInAnyOrder("DELETE /things/{id}", "GET /things/{id}");
        assertThat(client.get("/things/good").statusCode()).isEqualTo(200);
        assertThat(client.get("/things/missing").statusCode()).isEqualTo(404);
        assertThatThrownBy(contract::assertEveryOperationCalled).hasMessageContaining("DELETE /things/{id}");
        assertThat(client.delete("/things/good").body()).isEqualTo("deleted");
        contract.assertEveryOperationCalled();
    }

    @Test
    void shouldRejectBodiesStatusesAndContentTypesTheSpecDoesNotAllow() {
        assertThatThrownBy(() -> client.get("/things/no-count")).isInstanceOf(AssertionError.class)
                .hasMessageContaining("count");
        assertThatThrownBy(() -> client.get("/things/string-count")).isInstanceOf(AssertionError.class)
                .hasMessageContaining("count");
        assertThatThrownBy(() -> client.get("/things/bad-error")).isInstanceOf(AssertionError.class)
                .hasMessageContaining("error");
        assertThatThrownBy(() -> client.get("/things/html-404")).isInstanceOf(AssertionError.class)
                .hasMessageContaining("text/html");
        assertThatThrownBy(() -> client.get("/things/teapot")).isInstanceOf(AssertionError.class)
                .hasMessageContaining("418");
        assertThatThrownBy(() -> client.get("/things/extra")).as("undeclared, and no additionalProperties")
                .isInstanceOf(AssertionError.class).hasMessageContaining("surprise");
        assertThatThrownBy(() -> client.get("/elsewhere")).isInstanceOf(AssertionError.class)
                .hasMessageContaining("has no operation");
    }
}
