package io.kvrelay.router.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvrelay.router.RouterApp;
import io.kvrelay.router.config.RouterConfig;
import io.kvrelay.router.links.LinkConfig;
import io.kvrelay.router.scoring.CostModel;
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
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two router replicas get 1,000 concurrent first requests of one user, over HTTP. Every request carries a different
 * prompt, so on idle pods each router's best pod differs from request to request: the link in Redis must still make
 * every answer the same pod.
 */
class TwoRoutersRaceIT {
    private final ObjectMapper json = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void shouldGiveEveryConcurrentFirstRequestOfAUserTheSamePod() throws Exception {
        KafkaBroker kafka = KafkaBroker.shared();
        String prefix = "it-race-" + UUID.randomUUID().toString().substring(0, 8);
        StreamAppConfig sc = StreamAppConfig.local(kafka.bootstrapServers(), dir.resolve("s"))
                .withApplicationId(prefix).withTopicPrefix(prefix).withHeartbeatTtlMs(600_000);
        try (RedisServer redis = RedisServer.start(); StreamApp stream = new StreamApp(sc).start()) {
            try (KafkaProducer<byte[], byte[]> p = TestProducers.seeding(kafka.bootstrapServers())) {
                for (int i = 0; i < 8; i++) {
                    String pod = "pod-" + i;
                    p.send(new ProducerRecord<>(prefix + ".pod-status",
                            ("ns/svc/" + pod).getBytes(StandardCharsets.UTF_8), status(pod)));
                }
                p.flush();
            }
            await().atMost(Duration.ofSeconds(60)).until(stream::healthy);
            long t0 = System.nanoTime();
            List<RouterApp> routers = new ArrayList<>();
            for (String id : List.of("r1", "r2")) {
                routers.add(new RouterApp(new RouterConfig(id, null, 0, 0,
                        List.of("http://127.0.0.1:" + stream.httpPort()), 500, 200, 0,
                        // 1,000 requests at once queue for Redis: the deadline at the socket timeout (as before
                        // it existed), since this test is about who wins the race, not about a slow Redis
                        LinkConfig.of(redis.host(), redis.port(), Set.of("ns")).withRedisDeadlineMs(200),
                        // One user's 1,000 requests queue up on its pod: the link would move once the pod is
                        // overloaded or slower than another by the sticky slack (as it should); this test is about
                        // creating the link, so neither limit applies.
                        CostModel.defaults().with("stickySlackMs", "1e12").with("maxInFlight", "1000000"), null, prefix, 0, null, null))
                        .start());
            }
            try {
                HttpClient http = HttpClient.newBuilder().executor(Executors.newFixedThreadPool(8)).build();
                ExecutorService pool = Executors.newFixedThreadPool(32);
                List<Callable<String>> calls = new ArrayList<>();
                Random rnd = new Random(3);
                for (int i = 0; i < 1_000; i++) {
                    int[] tokens = new int[64];
                    for (int t = 0; t < tokens.length; t++) {
                        tokens[t] = rnd.nextInt(32_000);
                    }
                    int port = routers.get(i % 2).port();
                    String body = json.writeValueAsString(Map.of("namespace", "ns", "service", "svc",
                            "userId", "zed", "tokens", tokens));
                    calls.add(() -> {
                        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(
                                        "http://127.0.0.1:" + port + "/v1/route")).timeout(Duration.ofSeconds(30))
                                .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                                HttpResponse.BodyHandlers.ofString());
                        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                        JsonNode n = json.readTree(r.body());
                        assertThat(n.path("redisAvailable").asBoolean()).isTrue();
                        return n.path("pod").path("name").asText();
                    });
                }
                List<String> pods = new ArrayList<>();
                for (Future<String> f : pool.invokeAll(calls)) {
                    pods.add(f.get());
                }
                pool.shutdown();
                assertThat(pods).hasSize(1_000);
                assertThat(Set.copyOf(pods)).as("pods answered to user zed").hasSize(1);
                System.out.printf("1,000 concurrent first requests over 2 routers: one pod (%s), %d ms%n", pods.get(0),
                        (System.nanoTime() - t0) / 1_000_000);
                HttpResponse<String> link = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + routers.get(0).port() + "/v1/links/ns/zed/svc?from=store")).GET().build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(json.readTree(link.body()).path("pod").asText()).isEqualTo(pods.get(0));
            } finally {
                routers.forEach(RouterApp::close);
            }
        }
    }

    private static byte[] status(String pod) {
        return AvroCodec.podStatus().encode(PodStatus.newBuilder().setNamespace("ns").setService("svc").setPod(pod)
                .setState(PodState.CONNECTED).setWorkers(List.of(new WorkerStatus(0, true, 0L, 0L, 1L, 0L, 0L, 0L)))
                .setReportedAtMicros(System.currentTimeMillis() * 1000).build());
    }
}
