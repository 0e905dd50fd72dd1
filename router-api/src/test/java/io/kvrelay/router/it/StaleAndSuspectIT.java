package io.kvrelay.router.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvrelay.router.RouterApp;
import io.kvrelay.router.config.RouterConfig;
import io.kvrelay.router.links.LinkConfig;
import io.kvrelay.schemas.AvroCodec;
import io.kvrelay.schemas.avro.PodState;
import io.kvrelay.schemas.avro.PodStatus;
import io.kvrelay.schemas.avro.WorkerStatus;
import io.kvrelay.stream.StreamApp;
import io.kvrelay.stream.config.StreamAppConfig;
import io.kvrelay.testkit.KafkaBroker;
import io.kvrelay.testkit.RedisServer;
import io.kvrelay.testkit.TestProducers;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stale is not dead, and connected but silent is suspect, end to end: two stand-in bridges write pod statuses to a
 * real broker every 250 ms, stream-app (heartbeat TTL 2 s) and a router read them. (a) Bridge b1 stops reporting
 * every pod of service {@code sa}: the router keeps routing to them, flagged stale, until b1 reports again (before,
 * every request was a 503 for the whole outage). (b) Bridge b2 goes on reporting c0 and c1 of service {@code sb} but
 * no longer c2: c2 is dead, not stale. (c) c1's metrics stop answering: suspect after 3 s of unknown load, not
 * routable after 8 s.
 */
class StaleAndSuspectIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    @Test
    void shouldRouteStalePodsOfASilentBridgeAndNotDeadOrSilentPods() throws Exception {
        KafkaBroker kafka = KafkaBroker.shared();
        String prefix = "it-stale-" + UUID.randomUUID().toString().substring(0, 8);
        StreamAppConfig sc = StreamAppConfig.local(kafka.bootstrapServers(), dir.resolve("s"))
                .withApplicationId(prefix).withTopicPrefix(prefix).withLiveness(2_000, 0, 3_000, 8_000);
        try (RedisServer redis = RedisServer.start(); StreamApp stream = new StreamApp(sc).start();
             KafkaProducer<byte[], byte[]> producer = TestProducers.seeding(kafka.bootstrapServers());
             Bridge b1 = new Bridge("b1", producer, prefix + ".pod-status", "sa", "a0", "a1");
             Bridge b2 = new Bridge("b2", producer, prefix + ".pod-status", "sb", "c0", "c1", "c2")) {
            await().atMost(WAIT).until(stream::healthy);
            RouterConfig rc = new RouterConfig("r1", null, 0, 0, List.of("http://127.0.0.1:" + stream.httpPort()),
                    500, 200, 0, LinkConfig.of(redis.host(), redis.port(), Set.of("ns")), null, null, prefix, 0,
                    null, null);
            try (RouterApp router = new RouterApp(rc).start()) {
                await().atMost(WAIT).until(() -> candidates(route(router, "sa")).equals(List.of("a0", "a1"))
                        && candidates(route(router, "sb")).equals(List.of("c0", "c1", "c2")));
                JsonNode fresh = route(router, "sa");
                assertThat(fresh.path("stale").asBoolean()).isFalse();
                assertThat(fresh.path("reason").asText()).isEqualTo("best-cost");

                // (a) b1 goes silent as a whole (bridge killed, or its records stuck): sa's pods stay routable.
                b1.reporting = false;
                await().atMost(WAIT).until(() -> route(router, "sa").path("stale").asBoolean());
                JsonNode stale = route(router, "sa");
                assertThat(stale.path("pod").path("name").asText()).isIn("a0", "a1");
                assertThat(stale.path("reason").asText()).isEqualTo("best-cost-stale");
                assertThat(stale.path("candidates")).hasSize(2)
                        .allSatisfy(c -> assertThat(c.path("stale").asBoolean()).isTrue());
                JsonNode pods = get(router, "/v1/services/ns/sa/pods");
                assertThat(pods.path("pods")).allSatisfy(p -> {
                    assertThat(p.path("stale").asBoolean()).isTrue();
                    assertThat(p.path("routable").asBoolean()).isTrue();
                });
                assertThat(router.registry().scrape()).containsPattern("kvrelay_router_decisions_stale_total [1-9]")
                        .containsPattern("kvrelay_router_pods_stale [1-9]");
                // b2's pods are not b1's: not stale.
                assertThat(route(router, "sb").path("stale").asBoolean()).isFalse();

                b1.reporting = true;
                await().atMost(WAIT).until(() -> !route(router, "sa").path("stale").asBoolean());

                // (b) b2 still reports c0 and c1 but no longer c2: c2 is gone, not stale.
                b2.pods.remove("c2");
                await().atMost(WAIT).until(() -> candidates(route(router, "sb")).equals(List.of("c0", "c1")));
                JsonNode c2 = get(router, "/v1/services/ns/sb/pods").path("pods").get(2);
                assertThat(c2.path("pod").asText()).isEqualTo("c2");
                assertThat(c2.path("stale").asBoolean()).isFalse();
                assertThat(c2.path("alive").asBoolean()).isFalse();
                assertThat(route(router, "sb").path("stale").asBoolean()).isFalse();

                // (c) c1 connected but its metrics do not answer: suspect past 3 s, not routable past 8 s.
                b2.pods.put("c1", 5_000L);
                await().atMost(WAIT).until(() -> suspect(route(router, "sb"), "c1"));
                assertThat(candidates(route(router, "sb"))).containsExactly("c0", "c1");
                b2.pods.put("c1", 9_000L);
                await().atMost(WAIT).until(() -> candidates(route(router, "sb")).equals(List.of("c0")));
                JsonNode c1 = get(router, "/v1/services/ns/sb/pods").path("pods").get(1);
                assertThat(c1.path("suspect").asBoolean()).isTrue();
                assertThat(c1.path("alive").asBoolean()).isTrue();
                assertThat(c1.path("routable").asBoolean()).isFalse();
            }
        }
    }

    private static List<String> candidates(JsonNode route) {
        List<String> out = new ArrayList<>();
        route.path("candidates").forEach(c -> out.add(c.path("pod").asText()));
        out.sort(String::compareTo);
        return out;
    }

    private static boolean suspect(JsonNode route, String pod) {
        for (JsonNode c : route.path("candidates")) {
            if (c.path("pod").asText().equals(pod)) {
                return c.path("suspect").asBoolean();
            }
        }
        return false;
    }

    /** POST /v1/route for a 32-token prompt; the body of any answer (a 503 has no candidates). */
    private JsonNode route(RouterApp router, String service) throws Exception {
        int[] tokens = new int[32];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = 700 + i;
        }
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + router.port()
                        + "/v1/route")).timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString(json.writeValueAsString(Map.of("namespace", "ns",
                        "service", service, "tokens", tokens)))).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isIn(200, 503);
        return json.readTree(r.body());
    }

    private JsonNode get(RouterApp router, String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + router.port()
                + path)).GET().build(), HttpResponse.BodyHandlers.ofString());
        return json.readTree(r.body());
    }

    /**
     * A stand-in for one ingest bridge ({@code source}): every 250 ms, a CONNECTED status for each of its pods while
     * {@link #reporting}. {@link #pods} maps each pod to for how long its load has been unknown in ms (-1: known).
     */
    private static final class Bridge implements AutoCloseable {
        final Map<String, Long> pods = new ConcurrentHashMap<>();
        volatile boolean reporting = true;
        private final String source;
        private final KafkaProducer<byte[], byte[]> producer;
        private final String topic;
        private final String service;
        private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();

        Bridge(String source, KafkaProducer<byte[], byte[]> producer, String topic, String service, String... names) {
            this.source = source;
            this.producer = producer;
            this.topic = topic;
            this.service = service;
            for (String n : names) {
                pods.put(n, -1L);
            }
            timer.scheduleAtFixedRate(this::report, 0, 250, TimeUnit.MILLISECONDS);
        }

        private void report() {
            if (!reporting) {
                return;
            }
            long now = System.currentTimeMillis() * 1_000;
            pods.forEach((pod, unknownMs) -> {
                boolean known = unknownMs < 0;
                PodStatus s = PodStatus.newBuilder().setNamespace("ns").setService(service).setPod(pod)
                        .setState(PodState.CONNECTED).setWorkers(List.of(new WorkerStatus(0, true, 0L, 0L, 1L, 0L,
                                0L, 0L))).setAddress("10.0.0.1:8000").setReportedAtMicros(now).setSource(source)
                        .setRunningRequests(known ? 1 : null).setWaitingRequests(known ? 0 : null)
                        .setKvCacheUsage(known ? 0.1 : null)
                        .setLoadUnknownSinceMicros(known ? null : now - unknownMs * 1_000).build();
                producer.send(new ProducerRecord<>(topic, ("ns/" + service + "/" + pod)
                        .getBytes(StandardCharsets.UTF_8), AvroCodec.podStatus().encode(s)));
            });
            producer.flush();
        }

        @Override
        public void close() {
            timer.shutdownNow();
        }
    }
}
