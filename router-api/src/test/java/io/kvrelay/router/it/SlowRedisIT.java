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
import io.kvrelay.testkit.DelayingTcpProxy;
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
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13, item 3: a slow or silent Redis does not hold route decisions. The router reaches Redis through a
 * {@link DelayingTcpProxy}; with every command delayed 50 ms, then with the proxy forwarding nothing, then with the
 * Redis process stopped (SIGSTOP), a few hundred {@code /v1/route} requests with user ids are all answered, each well
 * within 2 s (generous: this only tells "bounded" from "blocked"; the latency figures are RouterLoadHarness'), cached
 * links keep their users, new users are routed without stickiness ({@code REDIS_UNAVAILABLE}), and stickiness resumes
 * once Redis answers in time again.
 */
class SlowRedisIT {
    private static final Duration NOT_BLOCKED = Duration.ofSeconds(2);
    private static final int[] PROMPT = new int[64];
    /** Bursts of hundreds of routes must not overload pods or outweigh links: this test is about Redis, not load. */
    private static final CostModel LOAD_BLIND = CostModel.of(null, null, null, null, null, null, 1e9, null,
            1_000_000, null, null, null, null);

    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().executor(Executors.newFixedThreadPool(8)).build();

    @TempDir
    Path dir;

    @Test
    void shouldAnswerEveryRouteThroughASlowStalledOrStoppedRedisAndStickAgainAfter() throws Exception {
        KafkaBroker kafka = KafkaBroker.shared();
        String prefix = "it-slow-redis-" + UUID.randomUUID().toString().substring(0, 8);
        StreamAppConfig sc = StreamAppConfig.local(kafka.bootstrapServers(), dir.resolve("s"))
                .withApplicationId(prefix).withTopicPrefix(prefix).withHeartbeatTtlMs(600_000);
        try (RedisServer redis = RedisServer.start(); DelayingTcpProxy proxy = DelayingTcpProxy.to(redis.host(),
                redis.port()); StreamApp stream = new StreamApp(sc).start()) {
            try (KafkaProducer<byte[], byte[]> p = TestProducers.seeding(kafka.bootstrapServers())) {
                for (int i = 0; i < 4; i++) {
                    p.send(new ProducerRecord<>(prefix + ".pod-status",
                            ("ns/svc/pod-" + i).getBytes(StandardCharsets.UTF_8), status("pod-" + i)));
                }
                p.flush();
            }
            // A deadline above a busy machine's scheduling noise, still far below the 50 ms delay; touches due every
            // second, so the phases below refresh cached links behind the cache.
            LinkConfig links = LinkConfig.of(proxy.host(), proxy.port(), Set.of("ns")).withTtls(60_000, 0, 1_000)
                    .withRedisDeadlineMs(20).withRetryIntervalMs(200);
            RouterConfig rc = new RouterConfig("r-slow", null, 0, 0, List.of("http://127.0.0.1:" + stream.httpPort()),
                    500, 200, 0, links, LOAD_BLIND, kafka.bootstrapServers(), prefix, 0, "admin", null);
            ExecutorService clients = Executors.newFixedThreadPool(8);
            try (RouterApp router = new RouterApp(rc).start()) {
                await().atMost(Duration.ofSeconds(60)).until(() -> route(router, null).statusCode() == 200);

                // 0. Redis healthy: 20 users are linked, and stick.
                for (int u = 0; u < 20; u++) {
                    String user = "known-" + u;
                    await().atMost(Duration.ofSeconds(10)).until(() -> body(route(router, user)).path("sticky")
                            .asBoolean());
                }

                // 1. Every command 50 ms late.
                proxy.delay(Duration.ofMillis(50));
                checkPhase(router, clients, "delayed", 300);
                assertThat(counter(router, "kvrelay_links_redis_late_total")).as("deadline misses counted")
                        .isPositive();

                // 2. Nothing forwarded at all (connections open, no answer).
                proxy.stall();
                checkPhase(router, clients, "stalled", 200);
                proxy.delay(Duration.ZERO).resume();

                // 3. The Redis process stopped (SIGSTOP), where the system server runs.
                if (redis.pid().isPresent()) {
                    redis.freeze();
                    try {
                        checkPhase(router, clients, "stopped", 200);
                    } finally {
                        redis.thaw();
                    }
                }

                // 4. Redis answers in time again: new users are linked, and stick.
                for (int u = 0; u < 10; u++) {
                    String user = "new-delayed-" + u;
                    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                            .until(() -> body(route(router, user)).path("sticky").asBoolean());
                }
                for (int u = 0; u < 20; u++) {
                    JsonNode r = body(route(router, "known-" + u));
                    assertThat(r.path("sticky").asBoolean()).as("known-%d after the outage: %s", u, r).isTrue();
                }
            } finally {
                clients.shutdownNow();
            }
        }
    }

    /**
     * {@code n} routes from 8 threads, half for linked users (cached: they must stay sticky), half for users new to
     * this phase (no link readable in time: answered without stickiness, saying why).
     */
    private void checkPhase(RouterApp router, ExecutorService clients, String phase, int n) throws Exception {
        List<Future<long[]>> timings = new ArrayList<>();
        List<Future<JsonNode>> answers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String user = i % 2 == 0 ? "known-" + (i / 2) % 20 : "new-" + phase + "-" + i / 2;
            answers.add(clients.submit(() -> {
                long t0 = System.nanoTime();
                HttpResponse<String> r = route(router, user);
                long ms = (System.nanoTime() - t0) / 1_000_000;
                assertThat(r.statusCode()).as("%s, %s: %s", phase, user, r.body()).isEqualTo(200);
                assertThat(Duration.ofMillis(ms)).as("%s, %s answered in %d ms", phase, user, ms)
                        .isLessThan(NOT_BLOCKED);
                JsonNode b = body(r);
                ((com.fasterxml.jackson.databind.node.ObjectNode) b).put("user", user);
                return b;
            }));
        }
        for (Future<JsonNode> f : answers) {
            JsonNode b = f.get();
            String user = b.path("user").asText();
            assertThat(b.path("pod").path("name").asText()).as("%s: %s", phase, b).startsWith("pod-");
            if (user.startsWith("known-")) {
                assertThat(b.path("sticky").asBoolean()).as("%s: a cached link serves on: %s", phase, b).isTrue();
            } else {
                assertThat(b.path("linkOutcome").asText()).as("%s: %s", phase, b).isEqualTo("REDIS_UNAVAILABLE");
                assertThat(b.path("reason").asText()).as("%s: %s", phase, b).contains("redis-unavailable");
                assertThat(b.path("redisAvailable").asBoolean()).isFalse();
            }
        }
    }

    private HttpResponse<String> route(RouterApp router, String user) throws Exception {
        String body = "{\"namespace\":\"ns\",\"service\":\"svc\",\"tokens\":" + json.writeValueAsString(PROMPT)
                + (user == null ? "" : ",\"userId\":\"" + user + "\"") + "}";
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + router.port() + "/v1/route"))
                .timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode body(HttpResponse<String> r) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return json.readTree(r.body());
    }

    private static double counter(RouterApp router, String name) {
        return router.registry().scrape().lines().filter(l -> l.startsWith(name))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    private static byte[] status(String pod) {
        return AvroCodec.podStatus().encode(PodStatus.newBuilder().setNamespace("ns").setService("svc").setPod(pod)
                .setState(PodState.CONNECTED).setWorkers(List.of(new WorkerStatus(0, true, 0L, 0L, 1L, 0L, 0L, 0L)))
                .setAddress("10.0.0." + pod.charAt(4) + ":8000").setRunningRequests(1).setWaitingRequests(0)
                .setKvCacheUsage(0.1).setReportedAtMicros(System.currentTimeMillis() * 1000).build());
    }
}
