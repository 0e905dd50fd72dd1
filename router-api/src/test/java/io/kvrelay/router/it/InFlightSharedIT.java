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
import java.util.concurrent.TimeUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12, item 1, with two router replicas on one broker: the work one replica sends to pods is counted by the
 * other (through the route-decisions topic) before any pod reports it, and a replica counts its own at once. The pods
 * here never report load (their status says 0 running, 0 waiting throughout), so only the routers' accounting can
 * spread the requests.
 */
class InFlightSharedIT {
    private static final int PODS = 4;
    /** Slow prefill (20 ms per block: a 1,000-block prompt is 20 s) so queues outlast any delay of a busy machine. */
    private static final CostModel SLOW = CostModel.defaults().with("prefillMsPerBlock", "20");
    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    @Test
    void shouldSpreadABurstAndLetTheOtherReplicaCountIt() throws Exception {
        KafkaBroker kafka = KafkaBroker.shared();
        String prefix = "it-inflight-" + UUID.randomUUID().toString().substring(0, 8);
        StreamAppConfig sc = StreamAppConfig.local(kafka.bootstrapServers(), dir.resolve("s"))
                .withApplicationId(prefix).withTopicPrefix(prefix).withHeartbeatTtlMs(600_000);
        try (RedisServer redis = RedisServer.start(); StreamApp stream = new StreamApp(sc).start()) {
            try (KafkaProducer<byte[], byte[]> p = TestProducers.seeding(kafka.bootstrapServers())) {
                for (int i = 0; i < PODS; i++) {
                    p.send(new ProducerRecord<>(prefix + ".pod-status",
                            ("ns/svc/pod-" + i).getBytes(StandardCharsets.UTF_8), status("pod-" + i)));
                }
                p.flush();
            }
            await().atMost(Duration.ofSeconds(120)).until(stream::healthy);
            List<RouterApp> routers = new ArrayList<>();
            try {
                for (String id : List.of("r1", "r2", "alone")) {
                    routers.add(new RouterApp(new RouterConfig(id, null, 0, 0,
                            List.of("http://127.0.0.1:" + stream.httpPort()), 500, 200, 0,
                            LinkConfig.of(redis.host(), redis.port(), Set.of("ns")), SLOW, kafka.bootstrapServers(),
                            prefix, 0, null, !id.equals("alone"))).start());
                }
                RouterApp r1 = routers.get(0);
                RouterApp r2 = routers.get(1);
                RouterApp alone = routers.get(2);
                await().atMost(Duration.ofSeconds(120)).until(() -> reading(r1) && reading(r2));
                await().atMost(Duration.ofSeconds(60)).until(() -> routable(r1) == PODS && routable(r2) == PODS
                        && routable(alone) == PODS);

                // The same 1,000-block prompt four times through r1, cached nowhere: every pod costs the same until
                // r1 counts what it sent, and the same prompt breaks ties the same way, so without the accounting
                // all four would go to one pod.
                int[] prompt = new int[1_000 * 16];
                for (int i = 0; i < prompt.length; i++) {
                    prompt[i] = 7 + i % 30_000;
                }
                Set<String> chosen = new HashSet<>();
                for (int i = 0; i < PODS; i++) {
                    chosen.add(route(r1, prompt).path("pod").path("name").asText());
                }
                long sentAt = System.nanoTime();
                assertThat(chosen).as("r1 spread its burst over every pod").hasSize(PODS);

                // r2 sees r1's four prefills queued (about 20 s each, draining) without any pod reporting them.
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(5))
                        .until(() -> minQueuedMs(r2) > 10_000);
                long seenMs = (System.nanoTime() - sentAt) / 1_000_000;
                JsonNode answer = route(r2, prompt);
                assertThat(answer.path("predictedTtftMs").asDouble()).as("queue + own prefill")
                        .isGreaterThan(10_000 + 20_000);
                // A replica that does not share counts nothing of r1's.
                assertThat(maxQueuedMs(alone)).isZero();

                io.micrometer.core.instrument.Timer lag = r2.registry().find("kvrelay.router.inflight.shared.lag")
                        .timer();
                assertThat(lag.count()).as("r1's decisions counted by r2").isEqualTo(PODS);
                // r2's one decision reaches r1 the same way, some ms later
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(5)).until(() ->
                        r1.registry().find("kvrelay.router.inflight.shared").counter().count() == 1);
                System.out.printf("in-flight shared: r2 saw r1's burst %d ms after it (mean decision-to-count lag "
                        + "%.1f ms, max %.1f ms; load average %s)%n", seenMs, lag.mean(TimeUnit.MILLISECONDS), lag.max(TimeUnit.MILLISECONDS),
                        java.nio.file.Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
            } finally {
                routers.forEach(RouterApp::close);
            }
        }
    }

    private static boolean reading(RouterApp r) {
        return r.registry().find("kvrelay.router.inflight.feed.reading").gauge().value() == 1;
    }

    private int routable(RouterApp r) throws Exception {
        return get(r, "/v1/services/ns/svc/pods?filter=routable").path("pods").size();
    }

    private double minQueuedMs(RouterApp r) throws Exception {
        double min = Double.MAX_VALUE;
        for (JsonNode p : get(r, "/v1/services/ns/svc/in-flight").path("pods")) {
            min = Math.min(min, p.path("queuedMs").asDouble());
        }
        return min;
    }

    private double maxQueuedMs(RouterApp r) throws Exception {
        double max = 0;
        for (JsonNode p : get(r, "/v1/services/ns/svc/in-flight").path("pods")) {
            max = Math.max(max, p.path("queuedMs").asDouble());
        }
        return max;
    }

    private JsonNode get(RouterApp r, String path) throws Exception {
        HttpResponse<String> res = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + r.port() + path))
                .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
        return json.readTree(res.body());
    }

    private JsonNode route(RouterApp r, int[] tokens) throws Exception {
        String body = json.writeValueAsString(Map.of("namespace", "ns", "service", "svc", "tokens", tokens));
        HttpResponse<String> res = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + r.port()
                        + "/v1/route")).timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(body))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
        return json.readTree(res.body());
    }

    private static byte[] status(String pod) {
        return AvroCodec.podStatus().encode(PodStatus.newBuilder().setNamespace("ns").setService("svc").setPod(pod)
                .setState(PodState.CONNECTED).setWorkers(List.of(new WorkerStatus(0, true, 0L, 0L, 1L, 0L, 0L, 0L)))
                .setRunningRequests(0).setWaitingRequests(0)
                .setReportedAtMicros(System.currentTimeMillis() * 1000).build());
    }
}
