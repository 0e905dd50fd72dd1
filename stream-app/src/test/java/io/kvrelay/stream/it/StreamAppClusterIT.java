package io.kvrelay.stream.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvrelay.schemas.AvroCodec;
import io.kvrelay.schemas.BlockKeys;
import io.kvrelay.schemas.Topics;
import io.kvrelay.schemas.avro.BlockStored;
import io.kvrelay.schemas.avro.EventOrigin;
import io.kvrelay.schemas.avro.KvEventBatch;
import io.kvrelay.schemas.avro.PodState;
import io.kvrelay.schemas.avro.PodStatus;
import io.kvrelay.schemas.avro.WorkerStatus;
import io.kvrelay.stream.StreamApp;
import io.kvrelay.stream.config.StreamAppConfig;
import io.kvrelay.testkit.KafkaBroker;
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
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two stream-app instances on a real broker share the 12 partitions; queries to either are answered for the whole
 * cluster. One instance stops; the other takes its partitions over, restores them from the changelogs and answers
 * the same. While that happens every answer is a 200 with the complete result or a 503 with a retry hint.
 */
class StreamAppClusterIT {
    private static final int PODS = 24;
    private static final int BLOCKS = 8;
    private static final int BS = 16;
    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    @Test
    void shouldAnswerForTheWholeClusterAndSurviveLosingAnInstance() throws Exception {
        KafkaBroker kafka = KafkaBroker.shared();
        String prefix = "it-stream-" + UUID.randomUUID().toString().substring(0, 8);
        Topics topics = Topics.withPrefix(prefix, (short) 1);
        StreamAppConfig base = StreamAppConfig.local(kafka.bootstrapServers(), dir.resolve("a"))
                .withApplicationId(prefix + "-app").withTopicPrefix(prefix).withHeartbeatTtlMs(600_000);
        StreamApp a = new StreamApp(base).start();
        StreamApp b = new StreamApp(new StreamAppConfig(base.applicationId(), base.bootstrapServers(),
                base.topicPrefix(), dir.resolve("b"), null, 0, null, base.heartbeatTtlMs(), 0, 0, 0, 0, null,
                (short) 0, null, base.staleMaxMs(), base.suspectAfterMs(), base.unroutableAfterMs())).start();
        try {
            // pod i holds the shared 2-block system prompt plus i % BLOCKS more blocks of its own tokens
            int[] shared = tokens(1, 2 * BS);
            try (KafkaProducer<byte[], byte[]> producer = TestProducers.seeding(kafka.bootstrapServers())) {
                for (int i = 0; i < PODS; i++) {
                    String pod = "pod-" + i;
                    int own = i % BLOCKS;
                    int[] t = concat(shared, tokens(10_000 * (i + 1), own * BS));
                    send(producer, topics.kvEvents().name(), pod, batch(pod, t));
                    send(producer, topics.podStatus().name(), pod, status(pod));
                }
                producer.flush();
            }
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                    .until(() -> a.healthy() && b.healthy() && podsWithMatches(a.httpPort()) == PODS);
            // Both instances hold some of the partitions, and answer for all of them.
            JsonNode instances = get(a.httpPort(), "/v1/instances").body;
            assertThat(instances.path("instances")).hasSize(2);
            for (JsonNode i : instances.path("instances")) {
                assertThat(i.path("activePartitions").size()).as("partitions of %s", i).isGreaterThan(0);
            }
            JsonNode fromA = prefixMatch(a.httpPort(), 2);
            JsonNode fromB = prefixMatch(b.httpPort(), 2);
            assertThat(fromA.path("workers")).hasSize(PODS);
            assertThat(fromB).isEqualTo(fromA);
            assertThat(fromA.path("partitions")).hasSize(Topics.KV_EVENT_PARTITIONS);
            // The pod with the longest own suffix matches longest.
            JsonNode full = prefixMatchPod(a.httpPort(), PODS - 1);
            assertThat(full.path("workers").get(0).path("pod").asText()).isEqualTo("pod-" + (PODS - 1));
            assertThat(full.path("workers").get(0).path("matched").asInt()).isEqualTo(2 + (PODS - 1) % BLOCKS);
            // Every pod's detail through either instance, wherever its partition lives.
            for (int i = 0; i < PODS; i++) {
                Reply ra = get(a.httpPort(), "/v1/pods/ns/svc/pod-" + i);
                Reply rb = get(b.httpPort(), "/v1/pods/ns/svc/pod-" + i);
                assertThat(ra.status).isEqualTo(200);
                assertThat(ra.body.path("alive").asBoolean()).isTrue();
                assertThat(ra.body.path("blocksHeld").asLong()).isEqualTo(2 + i % BLOCKS);
                assertThat(rb.body.path("blocksHeld")).isEqualTo(ra.body.path("blocksHeld"));
            }
            JsonNode pods = get(b.httpPort(), "/v1/services/ns/svc/pods").body;
            assertThat(pods.path("pods")).hasSize(PODS);
            // Bad input is a 400 that says what is wrong; an unknown pod a 404.
            assertThat(post(a.httpPort(), "/v1/prefix-match", "{not json").status).isEqualTo(400);
            Reply noKeys = post(a.httpPort(), "/v1/prefix-match", "{\"namespace\":\"ns\",\"service\":\"svc\"}");
            assertThat(noKeys.status).isEqualTo(400);
            assertThat(noKeys.body.path("error").asText()).contains("keys");
            assertThat(get(a.httpPort(), "/v1/pods/ns/svc/nobody").status).isEqualTo(404);

            // Instance b goes away; poll a all the while.
            Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
            List<String> wrong = new ArrayList<>();
            AtomicBoolean polling = new AtomicBoolean(true);
            Thread poller = new Thread(() -> {
                while (polling.get()) {
                    try {
                        Reply r = post(a.httpPort(), "/v1/prefix-match", matchBody(2));
                        statuses.computeIfAbsent(r.status, s -> new AtomicInteger()).incrementAndGet();
                        if (r.status == 200 && !r.body.path("workers").equals(fromA.path("workers"))) {
                            synchronized (wrong) {
                                wrong.add(r.body.toString());
                            }
                        }
                        if (r.status == 503) {
                            assertThat(r.retryAfter).isNotNull();
                        }
                    } catch (Exception | AssertionError e) {
                        statuses.computeIfAbsent(-1, s -> new AtomicInteger()).incrementAndGet();
                    }
                }
            });
            poller.start();
            long t0 = System.nanoTime();
            b.close();
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100))
                    .until(() -> a.healthy() && get(a.httpPort(), "/v1/instances").body.path("instances").size() == 1
                            && podsWithMatches(a.httpPort()) == PODS);
            long tookMs = (System.nanoTime() - t0) / 1_000_000;
            Thread.sleep(500);
            polling.set(false);
            poller.join();

            assertThat(prefixMatch(a.httpPort(), 2)).isEqualTo(fromA);
            for (int i = 0; i < PODS; i++) {
                assertThat(get(a.httpPort(), "/v1/pods/ns/svc/pod-" + i).body.path("blocksHeld").asLong())
                        .isEqualTo(2 + i % BLOCKS);
            }
            assertThat(wrong).as("complete-looking answers that were wrong").isEmpty();
            assertThat(statuses.keySet()).as("statuses during the take-over: %s", statuses)
                    .isSubsetOf(200, 503);
            System.out.printf("take-over: instance a answered for all partitions %d ms after b stopped; statuses %s%n",
                    tookMs, statuses);
        } finally {
            a.close();
            b.close();
        }
    }

    private long podsWithMatches(int port) throws Exception {
        Reply r = post(port, "/v1/prefix-match", matchBody(2));
        return r.status == 200 ? r.body.path("workers").size() : -1;
    }

    private JsonNode prefixMatch(int port, int blocks) throws Exception {
        Reply r = post(port, "/v1/prefix-match", matchBody(blocks));
        assertThat(r.status).as(r.body.toString()).isEqualTo(200);
        return r.body;
    }

    private JsonNode prefixMatchPod(int port, int i) throws Exception {
        int[] t = concat(tokens(1, 2 * BS), tokens(10_000 * (i + 1), (i % BLOCKS) * BS));
        List<String> hex = new ArrayList<>();
        for (long k : BlockKeys.chain(t, BS, null)) {
            hex.add(String.format("%016x", k));
        }
        Reply r = post(port, "/v1/prefix-match", json.writeValueAsString(Map.of("namespace", "ns", "service", "svc",
                "keys", hex)));
        assertThat(r.status).isEqualTo(200);
        return r.body;
    }

    /** The shared prompt's first {@code blocks} blocks, as tokens (the instance computes the keys). */
    private String matchBody(int blocks) throws Exception {
        int[] t = tokens(1, blocks * BS);
        return json.writeValueAsString(Map.of("namespace", "ns", "service", "svc", "tokens", t, "blockSize", BS));
    }

    private record Reply(int status, JsonNode body, String retryAfter) {
    }

    private Reply get(int port, String path) throws Exception {
        HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        return new Reply(r.statusCode(), json.readTree(r.body()), r.headers().firstValue("Retry-After").orElse(null));
    }

    private Reply post(int port, String path, String body) throws Exception {
        HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        return new Reply(r.statusCode(), json.readTree(r.body()), r.headers().firstValue("Retry-After").orElse(null));
    }

    private static void send(KafkaProducer<byte[], byte[]> p, String topic, String pod, byte[] value) {
        p.send(new ProducerRecord<>(topic, ("ns/svc/" + pod).getBytes(StandardCharsets.UTF_8), value));
    }

    private static byte[] batch(String pod, int[] tokens) {
        int n = tokens.length / BS;
        List<Long> hashes = new ArrayList<>();
        List<Integer> t = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            hashes.add((long) pod.hashCode() * 1_000 + i + 1);
        }
        for (int x : tokens) {
            t.add(x);
        }
        BlockStored s = new BlockStored();
        s.setBlockHashes(hashes);
        s.setTokenIds(t);
        s.setBlockSize(BS);
        s.setMedium("GPU");
        KvEventBatch b = KvEventBatch.newBuilder().setNamespace("ns").setService("svc").setPod(pod).setDpRank(0)
                .setSequence(0).setOrigin(EventOrigin.LIVE).setReceivedAtMicros(0).setEvents(List.of(s)).build();
        return AvroCodec.kvEvents().encode(b);
    }

    private static byte[] status(String pod) {
        return AvroCodec.podStatus().encode(PodStatus.newBuilder().setNamespace("ns").setService("svc").setPod(pod)
                .setState(PodState.CONNECTED).setWorkers(List.of(new WorkerStatus(0, true, 0L, 0L, 1L, 0L, 0L, 0L)))
                .setReportedAtMicros(System.currentTimeMillis() * 1000).build());
    }

    private static int[] tokens(int from, int count) {
        int[] t = new int[count];
        for (int i = 0; i < count; i++) {
            t[i] = from + i;
        }
        return t;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = new int[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
