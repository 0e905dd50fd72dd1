package io.kvrelay.router.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvrelay.router.RouterApp;
import io.kvrelay.router.config.RouterConfig;
import io.kvrelay.router.links.LinkConfig;
import io.kvrelay.schemas.AvroCodec;
import io.kvrelay.schemas.avro.BlockLocality;
import io.kvrelay.schemas.avro.BlockStored;
import io.kvrelay.schemas.avro.EventOrigin;
import io.kvrelay.schemas.avro.ExtraKey;
import io.kvrelay.schemas.avro.ExtraKeyKind;
import io.kvrelay.schemas.avro.KvEventBatch;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The router against a real stream-app on a real broker and a real Redis: the prefix decides (a cache salt keeps
 * prompts apart, REMOTE blocks are no pod's), links stick, a drained pod's user moves, and the router keeps answering
 * through a Redis outage and without stream-app.
 */
class RouterIT {
    private static final int BS = 16;
    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    @Test
    void shouldRouteByPrefixStickToLinksAndDegradeWithoutRedisOrStreamApp() throws Exception {
        KafkaBroker kafka = KafkaBroker.shared();
        String prefix = "it-router-" + UUID.randomUUID().toString().substring(0, 8);
        StreamAppConfig sc = StreamAppConfig.local(kafka.bootstrapServers(), dir.resolve("s"))
                .withApplicationId(prefix).withTopicPrefix(prefix).withHeartbeatTtlMs(600_000)
                .withAdminToken("secret");
        int[] prompt = new int[6 * BS];
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = 500 + i;
        }
        try (RedisServer redis = RedisServer.start(); StreamApp stream = new StreamApp(sc).start()) {
            try (KafkaProducer<byte[], byte[]> p = TestProducers.seeding(kafka.bootstrapServers())) {
                for (int i = 0; i < 4; i++) {
                    send(p, prefix + ".pod-status", "pod-" + i, status("pod-" + i));
                }
                // pod-2 holds the first 4 blocks of the prompt; pod-3 the first 5 under a cache salt; pod-1 announced
                // all 6 as REMOTE (held elsewhere), which must not count as its own
                send(p, prefix + ".kv-events", "pod-2", stored("pod-2", prompt, 4));
                BlockStored salted = blocks(prompt, 5);
                List<List<ExtraKey>> extra = new ArrayList<>();
                for (int i = 0; i < 5; i++) {
                    extra.add(i == 0 ? List.of(new ExtraKey(ExtraKeyKind.CACHE_SALT, "tenant-a", null, null))
                            : List.of());
                }
                salted.setExtraKeys(extra);
                send(p, prefix + ".kv-events", "pod-3", batch("pod-3", salted));
                BlockStored remote = blocks(prompt, 6);
                remote.setLocality(BlockLocality.REMOTE);
                send(p, prefix + ".kv-events", "pod-1", batch("pod-1", remote));
                p.flush();
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> stream.healthy() && stream.indexEntries() == 4 + 5);
            RouterConfig rc = new RouterConfig("r1", null, 0, 0, List.of("http://127.0.0.1:" + stream.httpPort()),
                    500, 200, 0, LinkConfig.of(redis.host(), redis.port(), Set.of("ns")).withRetryIntervalMs(200)
                            .withRedisDeadlineMs(200), // what is decided, not how fast: SlowRedisIT's
                    null, kafka.bootstrapServers(), prefix, 0, "admin", null);
            try (RouterApp router = new RouterApp(rc).start()) {
                // 1. The longest cached prefix wins.
                JsonNode r = route(router, null, prompt);
                assertThat(r.path("pod").path("name").asText()).isEqualTo("pod-2");
                assertThat(r.path("matchedBlocks").asInt()).isEqualTo(4);
                assertThat(r.path("totalBlocks").asInt()).isEqualTo(6);
                assertThat(r.path("candidates")).hasSize(4);
                assertThat(r.path("indexAvailable").asBoolean()).isTrue();
                for (JsonNode c : r.path("candidates")) {
                    if (!c.path("pod").asText().equals("pod-2")) {
                        assertThat(c.path("matched").asInt()).as("salted or REMOTE blocks of %s", c).isZero();
                    }
                }

                // 1b. The same tokens with the cache salt match only the salted pod; another salt matches nobody.
                JsonNode salt = route(router, null, prompt, Map.of("cacheSalt", "tenant-a"));
                assertThat(salt.path("pod").path("name").asText()).isEqualTo("pod-3");
                assertThat(salt.path("matchedBlocks").asInt()).isEqualTo(5);
                assertThat(route(router, null, prompt, Map.of("cacheSalt", "tenant-b")).path("matchedBlocks").asInt())
                        .isZero();

                // 2. A user is linked, then sticks.
                JsonNode first = route(router, "alice", prompt);
                assertThat(first.path("reason").asText()).isEqualTo("best-cost-linked");
                JsonNode second = route(router, "alice", prompt);
                assertThat(second.path("sticky").asBoolean()).isTrue();
                assertThat(second.path("pod").path("name").asText()).isEqualTo("pod-2");
                assertThat(get(router, "/v1/links/ns/alice/svc").path("pod").asText()).isEqualTo("pod-2");
                assertThat(get(router, "/v1/links/ns/alice").path("svc").asText()).isEqualTo("pod-2");

                // 3. pod-2 is drained through the router (admin token required): the router answers once stream-app
                //    shows it, so alice's very next request moves her, and her link follows.
                String drainUrl = "http://127.0.0.1:" + router.port() + "/v1/services/ns/svc/pods/pod-2/drain";
                HttpResponse<String> noToken = http.send(HttpRequest.newBuilder(URI.create(drainUrl))
                        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(noToken.statusCode()).isEqualTo(401);
                HttpResponse<String> drain = http.send(HttpRequest.newBuilder(URI.create(drainUrl))
                        .header("Authorization", "Bearer admin").POST(HttpRequest.BodyPublishers.ofString(
                                "{\"operator\":\"it\",\"reason\":\"node maintenance\"}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(drain.statusCode()).as(drain.body()).isEqualTo(200);
                assertThat(json.readTree(drain.body()).path("applied").asBoolean()).isTrue();
                assertThat(get(router, "/v1/services/ns/svc/pods/pod-2/routable").path("routable").asBoolean())
                        .as("not routable at once").isFalse();
                assertThat(get(router, "/v1/services/ns/svc/pods/pod-2/available").path("available").asBoolean())
                        .as("drained but alive").isTrue();
                JsonNode moved = route(router, "alice", prompt);
                assertThat(moved.path("reason").asText()).isEqualTo("link-moved");
                String newPod = moved.path("pod").path("name").asText();
                assertThat(newPod).isNotEqualTo("pod-2");
                assertThat(get(router, "/v1/links/ns/alice/svc?from=store").path("pod").asText()).isEqualTo(newPod);
                HttpResponse<String> undrain = http.send(HttpRequest.newBuilder(URI.create(drainUrl.replace(
                                "/drain", "/undrain"))).header("Authorization", "Bearer admin")
                        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(undrain.statusCode()).as(undrain.body()).isEqualTo(200);
                assertThat(get(router, "/v1/services/ns/svc/pods/pod-2/routable").path("routable").asBoolean())
                        .as("routable again").isTrue();
                assertThat(route(router, "alice", prompt).path("pod").path("name").asText())
                        .as("an undrain does not pull users back").isEqualTo(newPod);

                // 4. Redis goes down: answers continue, without stickiness, and say so.
                redis.stop();
                JsonNode noRedis = route(router, "bob", prompt);
                assertThat(noRedis.path("redisAvailable").asBoolean()).isFalse();
                assertThat(noRedis.path("pod").path("name").asText()).isNotEmpty();
                redis.restart();
                await().atMost(Duration.ofSeconds(10)).until(() ->
                        route(router, "bob", prompt).path("redisAvailable").asBoolean());
                assertThat(route(router, "bob", prompt).path("sticky").asBoolean()).isTrue();

                // 5. stream-app goes away: decisions continue on the last pod state and the links.
                stream.close();
                JsonNode noIndex = route(router, "carol", prompt);
                assertThat(noIndex.path("indexAvailable").asBoolean()).isFalse();
                assertThat(noIndex.path("pod").path("name").asText()).isNotEmpty();
                assertThat(route(router, "alice", prompt).path("pod").path("name").asText()).isEqualTo(newPod);
                // ... and once the router has missed a few refreshes, it says the state is stale, as stream-app says
                // of the pods of a silent bridge.
                await().atMost(Duration.ofSeconds(30)).until(() -> route(router, "dave", prompt).path("stale")
                        .asBoolean());
                assertThat(route(router, "dave", prompt).path("reason").asText()).endsWith("-without-index-stale");
                // Serving on stale state is by design: the router stays ready through stream-app's outage.
                assertThat(get(router, "/readyz").path("status").asText()).isEqualTo("READY");

                // Bad input: 400 with the field's name.
                HttpResponse<String> bad = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + router.port() + "/v1/route")).POST(HttpRequest.BodyPublishers.ofString(
                        "{\"namespace\":\"ns\",\"service\":\"svc\"}")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(bad.statusCode()).isEqualTo(400);
                assertThat(bad.body()).contains("tokens");
            }
        }
    }

    private JsonNode route(RouterApp router, String user, int[] tokens) throws Exception {
        return route(router, user, tokens, Map.of());
    }

    private JsonNode route(RouterApp router, String user, int[] tokens, Map<String, Object> extra) throws Exception {
        Map<String, Object> body = new HashMap<>(extra);
        body.putAll(Map.of("namespace", "ns", "service", "svc", "tokens", tokens));
        if (user != null) {
            body.put("userId", user);
        }
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + router.port()
                        + "/v1/route")).timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString(json.writeValueAsString(body))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return json.readTree(r.body());
    }

    private JsonNode get(RouterApp router, String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + router.port()
                + path)).GET().build(), HttpResponse.BodyHandlers.ofString());
        return json.readTree(r.body());
    }

    private static void send(KafkaProducer<byte[], byte[]> p, String topic, String pod, byte[] value) {
        p.send(new ProducerRecord<>(topic, ("ns/svc/" + pod).getBytes(StandardCharsets.UTF_8), value));
    }

    private static byte[] stored(String pod, int[] tokens, int blocks) {
        return batch(pod, blocks(tokens, blocks));
    }

    private static byte[] batch(String pod, BlockStored s) {
        return AvroCodec.kvEvents().encode(KvEventBatch.newBuilder().setNamespace("ns").setService("svc")
                .setPod(pod).setDpRank(0).setSequence(0).setOrigin(EventOrigin.LIVE).setReceivedAtMicros(0)
                .setEvents(List.of(s)).build());
    }

    private static BlockStored blocks(int[] tokens, int blocks) {
        List<Long> hashes = new ArrayList<>();
        List<Integer> t = new ArrayList<>();
        for (int i = 0; i < blocks; i++) {
            hashes.add(1000L + i);
        }
        for (int i = 0; i < blocks * BS; i++) {
            t.add(tokens[i]);
        }
        BlockStored s = new BlockStored();
        s.setBlockHashes(hashes);
        s.setTokenIds(t);
        s.setBlockSize(BS);
        s.setMedium("GPU");
        return s;
    }

    private static byte[] status(String pod) {
        return AvroCodec.podStatus().encode(PodStatus.newBuilder().setNamespace("ns").setService("svc").setPod(pod)
                .setState(PodState.CONNECTED).setWorkers(List.of(new WorkerStatus(0, true, 0L, 0L, 1L, 0L, 0L, 0L)))
                .setAddress("10.0.0." + pod.charAt(4) + ":8000").setRunningRequests(1).setWaitingRequests(0)
                .setKvCacheUsage(0.1).setReportedAtMicros(System.currentTimeMillis() * 1000).build());
    }
}
