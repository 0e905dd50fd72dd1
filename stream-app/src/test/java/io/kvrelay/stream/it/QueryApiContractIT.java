package io.kvrelay.stream.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvrelay.schemas.AvroCodec;
import io.kvrelay.schemas.Topics;
import io.kvrelay.schemas.avro.BlockStored;
import io.kvrelay.schemas.avro.EventOrigin;
import io.kvrelay.schemas.avro.KvEventBatch;
import io.kvrelay.schemas.avro.PodState;
import io.kvrelay.schemas.avro.PodStatus;
import io.kvrelay.schemas.avro.WorkerStatus;
import io.kvrelay.stream.StreamApp;
import io.kvrelay.stream.config.StreamAppConfig;
import io.kvrelay.stream.http.QueryHttpServer;
import io.kvrelay.testkit.KafkaBroker;
import io.kvrelay.testkit.OpenApiContract;
import io.kvrelay.testkit.TestProducers;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * stream-app's query API answers as stream-app/openapi.yaml says: every operation's success and its main errors on
 * a real stream-app (shared broker, an admin token, one pod with three blocks), and the 503s of an instance whose
 * Kafka Streams is not built yet; each exchange is checked against the spec by {@link OpenApiContract}.
 */
class QueryApiContractIT {
    private static final int BS = 16;
    private static final String TOKEN = "it-admin-token";
    private final ObjectMapper json = new ObjectMapper();
    private final OpenApiContract contract = OpenApiContract.load(Path.of("openapi.yaml"));

    @TempDir
    Path dir;

    @Test
    void shouldAnswerEveryOperationAsTheSpecSays() throws Exception {
        KafkaBroker kafka = KafkaBroker.shared();
        String prefix = "it-oas-" + UUID.randomUUID().toString().substring(0, 8);
        Topics topics = Topics.withPrefix(prefix, (short) 1);
        StreamAppConfig config = StreamAppConfig.local(kafka.bootstrapServers(), dir)
                .withApplicationId(prefix + "-app").withTopicPrefix(prefix).withHeartbeatTtlMs(600_000)
                .withAdminToken(TOKEN);
        int[] prompt = new int[3 * BS];
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = 9_000 + i;
        }
        try (StreamApp app = new StreamApp(config).start()) {
            try (KafkaProducer<byte[], byte[]> p = TestProducers.seeding(kafka.bootstrapServers())) {
                send(p, topics.podStatus().name(), "pod-0", status("pod-0"));
                send(p, topics.kvEvents().name(), "pod-0", stored("pod-0", prompt));
                p.flush();
            }
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
                    .until(() -> app.healthy() && app.indexEntries() == 3);
            OpenApiContract.Client anyone = contract.client("http://127.0.0.1:" + app.httpPort());
            OpenApiContract.Client operator = anyone.withToken(TOKEN);

            assertThat(anyone.get("/health").statusCode()).isEqualTo(200);
            assertThat(anyone.get("/livez").body()).contains("UP");
            assertThat(anyone.get("/readyz").body()).contains("READY");
            assertThat(anyone.get("/metrics").body()).contains("kvrelay_stream_");
            assertThat(anyone.get("/v1/instances").statusCode()).isEqualTo(200);

            String byTokens = json.writeValueAsString(Map.of("namespace", "ns", "service", "svc", "tokens", prompt,
                    "blockSize", BS));
            assertThat(anyone.post("/v1/prefix-match", byTokens).body()).contains("\"matched\":3");
            assertThat(anyone.post("/v1/prefix-match?scope=local", byTokens).statusCode()).isEqualTo(200);
            assertThat(anyone.post("/v1/prefix-match", "{\"service\":\"svc\",\"keys\":[]}").body())
                    .contains("namespace");
            assertThat(anyone.post("/v1/prefix-match",
                    "{\"namespace\":\"ns\",\"service\":\"svc\",\"keys\":[],\"tokens\":[]}").statusCode())
                    .isEqualTo(400);
            assertThat(anyone.post("/v1/prefix-match", "{not json").statusCode()).isEqualTo(400);

            assertThat(anyone.get("/v1/services/ns/svc/pods").body()).contains("pod-0");
            assertThat(anyone.get("/v1/services/ns/svc/pods?scope=local").statusCode()).isEqualTo(200);
            assertThat(anyone.get("/v1/pods/ns/svc/pod-0").body()).contains("\"blocksHeld\":3");
            assertThat(anyone.get("/v1/pods/ns/svc/pod-0?scope=local").statusCode()).isEqualTo(200);
            assertThat(anyone.get("/v1/pods/ns/svc/nope").statusCode()).isEqualTo(404);

            String why = "{\"operator\":\"it\",\"reason\":\"contract\"}";
            assertThat(anyone.post("/v1/pods/ns/svc/pod-0/drain", why).statusCode()).as("no token").isEqualTo(401);
            assertThat(anyone.withToken("wrong").post("/v1/pods/ns/svc/pod-0/undrain", why).statusCode())
                    .isEqualTo(401);
            assertThat(operator.post("/v1/pods/ns/svc/pod-0/drain", "{not json").statusCode()).isEqualTo(400);
            assertThat(operator.post("/v1/pods/ns/svc/pod-0/drain", why).statusCode()).isEqualTo(202);
            assertThat(operator.post("/v1/pods/ns/svc/pod-0/undrain", null).statusCode()).isEqualTo(202);
        }
        contract.assertEveryOperationCalled();
    }

    @Test
    void shouldAnswer503AsTheSpecSaysUntilKafkaStreamsIsBuilt() throws Exception {
        // The server starts before Kafka Streams (it must learn its port first): queries answer 503 until then.
        try (QueryHttpServer starting = new QueryHttpServer("127.0.0.1", 0, io.kvrelay.http.HttpLimits.defaults(),
                json, () -> null, () -> "starting", new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), null, "")) {
            OpenApiContract.Client anyone = contract.client("http://127.0.0.1:" + starting.port());
            assertThat(anyone.get("/health").body()).contains("DOWN");
            assertThat(anyone.get("/readyz").statusCode()).as("not ready while it is down").isEqualTo(503);
            assertThat(anyone.get("/livez").statusCode()).as("but alive").isEqualTo(200);
            assertThat(anyone.get("/v1/instances").statusCode()).isEqualTo(503);
            assertThat(anyone.post("/v1/prefix-match", "{\"namespace\":\"ns\",\"service\":\"svc\",\"keys\":[]}")
                    .headers().firstValue("Retry-After")).isPresent();
            assertThat(anyone.get("/v1/services/ns/svc/pods").statusCode()).isEqualTo(503);
            assertThat(anyone.get("/v1/pods/ns/svc/pod-0").statusCode()).isEqualTo(503);
        }
    }

    private static void send(KafkaProducer<byte[], byte[]> p, String topic, String pod, byte[] value) {
        p.send(new ProducerRecord<>(topic, ("ns/svc/" + pod).getBytes(StandardCharsets.UTF_8), value));
    }

    private static byte[] status(String pod) {
        return AvroCodec.podStatus().encode(PodStatus.newBuilder().setNamespace("ns").setService("svc").setPod(pod)
                .setState(PodState.CONNECTED).setWorkers(List.of(new WorkerStatus(0, true, 0L, 0L, 1L, 0L, 0L, 0L)))
                .setAddress("10.0.0.1:8000").setRunningRequests(1).setWaitingRequests(0).setKvCacheUsage(0.1)
                .setReportedAtMicros(System.currentTimeMillis() * 1000).build());
    }

    private static byte[] stored(String pod, int[] tokens) {
        List<Long> hashes = new ArrayList<>();
        List<Integer> t = new ArrayList<>();
        for (int i = 0; i < tokens.length / BS; i++) {
            hashes.add(500L + i);
        }
        for (int x : tokens) {
            t.add(x);
        }
        BlockStored s = new BlockStored();
        s.setBlockHashes(hashes);
        s.setTokenIds(t);
        s.setBlockSize(BS);
        s.setMedium("GPU");
        return AvroCodec.kvEvents().encode(KvEventBatch.newBuilder().setNamespace("ns").setService("svc")
                .setPod(pod).setDpRank(0).setSequence(0).setOrigin(EventOrigin.LIVE).setReceivedAtMicros(0)
                .setEvents(List.of(s)).build());
    }
}
