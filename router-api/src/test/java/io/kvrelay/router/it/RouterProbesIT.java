package io.kvrelay.router.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvrelay.router.RouterApp;
import io.kvrelay.router.config.RouterConfig;
import io.kvrelay.router.links.LinkConfig;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A router that has never reached stream-app is alive but not ready: /livez 200, /readyz 503 with the reason and
 * Retry-After (RouterIT checks it stays ready once it has, through stream-app's outage).
 */
class RouterProbesIT {
    @Test
    void aRouterThatNeverReachedStreamAppIsAliveButNotReady() throws Exception {
        int nowhere;
        try (ServerSocket s = new ServerSocket(0)) {
            nowhere = s.getLocalPort();
        }
        RouterConfig rc = new RouterConfig("r-probes", null, 0, 0, List.of("http://127.0.0.1:" + nowhere), 0, 0, 0,
                LinkConfig.of("127.0.0.1", nowhere, Set.of("ns")), null, null, null, 0, null, null);
        try (RouterApp router = new RouterApp(rc).start()) {
            HttpClient http = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + router.port();
            HttpResponse<String> live = http.send(HttpRequest.newBuilder(URI.create(base + "/livez")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(live.statusCode()).isEqualTo(200);
            HttpResponse<String> ready = http.send(HttpRequest.newBuilder(URI.create(base + "/readyz")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(ready.statusCode()).isEqualTo(503);
            assertThat(ready.body()).contains("\"status\":\"NOT_READY\"", "stream-app not reached yet");
            assertThat(ready.headers().firstValue("retry-after")).isPresent();
        }
    }
}
