package io.kvrelay.router.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvrelay.router.RouterApp;
import io.kvrelay.router.config.RouterConfig;
import io.kvrelay.router.openai.OpenAiConfig;
import io.kvrelay.router.links.LinkConfig;
import io.kvrelay.schemas.AvroCodec;
import io.kvrelay.schemas.avro.BlockStored;
import io.kvrelay.schemas.avro.EventOrigin;
import io.kvrelay.schemas.avro.KvEventBatch;
import io.kvrelay.schemas.avro.PodState;
import io.kvrelay.schemas.avro.PodStatus;
import io.kvrelay.schemas.avro.WorkerStatus;
import io.kvrelay.stream.StreamApp;
import io.kvrelay.stream.config.StreamAppConfig;
import io.kvrelay.testkit.KafkaBroker;
import io.kvrelay.testkit.OpenApiContract;
import io.kvrelay.testkit.RedisServer;
import io.kvrelay.testkit.TestProducers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * router-api answers as router-api/openapi.yaml says: every operation's success and its main errors, against a real
 * stream-app on the shared broker and a real Redis, each exchange checked against the spec by
 * {@link OpenApiContract}. Two pods; pod-0 holds the prompt's three blocks.
 */
class RouterApiContractIT {
    private static final int BS = 16;
    private static final String TOKEN = "it-admin-token";
    /** The pods' serving address: a port nothing listens on, so the front door's proxy is refused there. */
    private static final int CLOSED_PORT = closedPort();
    private final ObjectMapper json = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void shouldAnswerEveryOperationAsTheSpecSays() throws Exception {
        KafkaBroker kafka = KafkaBroker.shared();
        String prefix = "it-oas-" + UUID.randomUUID().toString().substring(0, 8);
        StreamAppConfig sc = StreamAppConfig.local(kafka.bootstrapServers(), dir.resolve("s"))
                .withApplicationId(prefix).withTopicPrefix(prefix).withHeartbeatTtlMs(600_000);
        int[] prompt = new int[3 * BS];
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = 800 + i;
        }
        OpenApiContract contract = OpenApiContract.load(Path.of("openapi.yaml"));
        try (RedisServer redis = RedisServer.start(); StreamApp stream = new StreamApp(sc).start()) {
            try (KafkaProducer<byte[], byte[]> p = TestProducers.seeding(kafka.bootstrapServers())) {
                send(p, prefix + ".pod-status", "pod-0", status("pod-0"));
                send(p, prefix + ".pod-status", "pod-1", status("pod-1"));
                send(p, prefix + ".kv-events", "pod-0", stored("pod-0", prompt));
                p.flush();
            }
            await().atMost(Duration.ofSeconds(90)).until(() -> stream.healthy() && stream.indexEntries() == 3);
            RouterConfig rc = new RouterConfig("r-oas", null, 0, 0, List.of("http://127.0.0.1:" + stream.httpPort()),
                    500, 200, 0, LinkConfig.of(redis.host(), redis.port(), Set.of("ns")).withRetryIntervalMs(200)
                    // What is answered is checked here, not how fast: a busy machine's first Redis call takes > 5 ms.
                    .withRedisDeadlineMs(200),
                    null, kafka.bootstrapServers(), prefix, 0, TOKEN, null)
                    // The front door: a model is the service of its name in "ns".
                    .withOpenAi(new OpenAiConfig("ns", null, null, 300, 0, 300, 0, 0, 0));
            try (RouterApp router = new RouterApp(rc).start()) {
                OpenApiContract.Client anyone = contract.client("http://127.0.0.1:" + router.port());
                OpenApiContract.Client operator = anyone.withToken(TOKEN);
                // The router reads pod state on first use; wait until it sees both pods.
                await().atMost(Duration.ofSeconds(60)).until(() ->
                        anyone.get("/v1/services/ns/svc/pods?filter=routable").body().contains("pod-1"));

                // Routing
                String alice = route("alice", "svc", prompt);
                assertThat(anyone.post("/v1/route", alice).body()).contains("\"name\":\"pod-0\"");
                assertThat(anyone.post("/v1/route", "{\"namespace\":\"ns\",\"service\":\"svc\"}").body())
                        .contains("tokens");
                // ?candidates=N lists the N best (the answer is the chosen pod either way)
                assertThat(anyone.post("/v1/route?candidates=1", alice).body())
                        .contains("\"name\":\"pod-0\"").containsOnlyOnce("\"cost\"");
                assertThat(anyone.post("/v1/route?candidates=0", alice).body()).contains("\"candidates\":[]");
                assertThat(anyone.post("/v1/route?candidates=-1", alice).statusCode()).isEqualTo(400);
                assertThat(anyone.post("/v1/route?candidates=x", alice).body()).contains("candidates must be");
                assertThat(anyone.post("/v1/route", route("alice", "no-such-service", prompt)).statusCode())
                        .as("no routable pod").isEqualTo(503);
                assertThat(anyone.sendAs("POST", "GET", "/v1/route", null).statusCode()).isEqualTo(405);
                String carol = "{\"namespace\":\"ns\",\"service\":\"svc\",\"userId\":\"carol\"}";
                assertThat(anyone.post("/v1/links/compute", carol).statusCode()).isEqualTo(200);
                assertThat(anyone.post("/v1/links/compute", "{\"namespace\":\"ns\",\"service\":\"svc\"}").statusCode())
                        .isEqualTo(400);
                assertThat(anyone.post("/v1/links/compute",
                        "{\"namespace\":\"ns\",\"service\":\"no-such-service\",\"userId\":\"carol\"}").statusCode())
                        .as("no routable pod").isEqualTo(503);

                // Links
                assertThat(anyone.get("/v1/links/ns/alice/svc").body()).contains("pod-0");
                assertThat(anyone.get("/v1/links/ns/alice/svc?from=store").statusCode()).isEqualTo(200);
                assertThat(anyone.get("/v1/links/ns/alice/svc?from=nowhere").statusCode()).isEqualTo(400);
                assertThat(anyone.get("/v1/links/ns/nobody/svc").statusCode()).isEqualTo(404);
                assertThat(anyone.sendAs("GET", "PATCH", "/v1/links/ns/alice/svc", null).statusCode())
                        .isEqualTo(405);
                assertThat(anyone.get("/v1/links/ns/alice").body()).contains("\"svc\":\"pod-0\"");
                assertThat(operator.post("/v1/links/ns/bob/svc", "{\"pod\":\"pod-1\"}").statusCode()).isEqualTo(201);
                assertThat(operator.post("/v1/links/ns/bob/svc", "{\"pod\":\"pod-0\"}").body())
                        .as("already linked").contains("\"written\":false");
                assertThat(operator.post("/v1/links/ns/bob/svc", "{}").statusCode()).isEqualTo(400);
                assertThat(operator.post("/v1/links/elsewhere/bob/svc", "{\"pod\":\"pod-1\"}").statusCode())
                        .as("namespace not owned").isEqualTo(403);
                assertThat(operator.put("/v1/links/ns/bob/svc/cache", "{\"pod\":\"pod-1\"}").statusCode())
                        .isEqualTo(200);
                assertThat(operator.put("/v1/links/ns/bob/svc/cache", "{}").statusCode()).isEqualTo(400);
                assertThat(operator.delete("/v1/links/ns/bob/svc/cache").statusCode()).isEqualTo(200);
                assertThat(anyone.post("/v1/links-batch",
                        "{\"namespace\":\"ns\",\"service\":\"svc\",\"users\":[\"alice\",\"bob\",\"nobody\"]}").body())
                        .contains("alice").contains("bob");
                assertThat(anyone.post("/v1/links-batch", "{\"namespace\":\"ns\",\"service\":\"svc\"}").statusCode())
                        .isEqualTo(400);
                assertThat(anyone.delete("/v1/links/ns/bob").statusCode()).as("no token").isEqualTo(401);
                assertThat(operator.delete("/v1/links/ns/bob").body()).contains("\"deleted\":1");

                // Services and pods
                assertThat(anyone.get("/v1/services/ns/svc/best-pod").statusCode()).isEqualTo(200);
                assertThat(anyone.get("/v1/services/ns/no-such-service/best-pod").statusCode()).isEqualTo(404);
                assertThat(anyone.get("/v1/services/ns/svc/in-flight").body()).contains("r-oas");
                assertThat(anyone.get("/v1/services/ns/svc/pods").statusCode()).isEqualTo(200);
                assertThat(anyone.get("/v1/services/ns/svc/pods?filter=everything").statusCode()).isEqualTo(400);
                assertThat(anyone.get("/v1/services/ns/svc/pods/pod-0/available").statusCode()).isEqualTo(200);
                assertThat(anyone.get("/v1/services/ns/svc/pods/pod-0/routable").statusCode()).isEqualTo(200);
                String why = "{\"operator\":\"it\",\"reason\":\"contract\"}";
                assertThat(anyone.post("/v1/services/ns/svc/pods/pod-1/drain", why).statusCode()).isEqualTo(401);
                assertThat(operator.post("/v1/services/ns/svc/pods/pod-1/drain", "{not json").statusCode())
                        .isEqualTo(400);
                assertThat(operator.post("/v1/services/ns/svc/pods/pod-1/drain", why).body())
                        .contains("\"applied\":true");
                assertThat(operator.post("/v1/services/ns/svc/pods/pod-1/undrain", null).body())
                        .contains("\"applied\":true");

                // The OpenAI front door. These pods serve no OpenAI API (their port refuses connections), so a request
                // is decided, refused by each pod in turn and answered 503, in OpenAI's error shape like every
                // front-door error.
                assertThat(anyone.get("/v1/models").body()).contains("\"object\":\"list\"");
                String chat = "{\"model\":\"svc\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
                assertThat(anyone.post("/v1/chat/completions", chat).statusCode()).isEqualTo(503);
                assertThat(anyone.post("/v1/chat/completions", "{\"model\":\"svc\"}").body())
                        .contains("\"param\":\"messages\"");
                assertThat(anyone.post("/v1/chat/completions", "{\"model\":").statusCode()).isEqualTo(400);
                assertThat(anyone.post("/v1/completions", "{\"model\":\"svc\",\"prompt\":[1,2,3]}").statusCode())
                        .isEqualTo(503);
                assertThat(anyone.post("/v1/completions", "{\"model\":\"no-such-model\",\"prompt\":\"x\"}")
                        .body()).contains("model_not_found");
                assertThat(anyone.sendAs("POST", "GET", "/v1/completions", null).statusCode()).isEqualTo(405);

                // Operations
                assertThat(anyone.get("/v1/state-cache").statusCode()).isEqualTo(200);
                assertThat(anyone.get("/health").body()).contains("UP");
                assertThat(anyone.get("/livez").body()).contains("UP");
                assertThat(anyone.get("/readyz").body()).as("stream-app reached").contains("READY");
                assertThat(anyone.get("/metrics").body()).contains("kvrelay_router_");

                // Redis down: the operations that cannot do without it answer 503.
                redis.stop();
                assertThat(anyone.get("/v1/links/ns/alice/svc?from=store").headers().firstValue("Retry-After"))
                        .isPresent();
                assertThat(anyone.get("/v1/links/ns/alice").statusCode()).isEqualTo(503);
            }
        }
        contract.assertEveryOperationCalled();
    }

    private static int closedPort() {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private String route(String user, String service, int[] tokens) throws Exception {
        return json.writeValueAsString(Map.of("namespace", "ns", "service", service, "userId", user,
                "tokens", tokens));
    }

    private static void send(KafkaProducer<byte[], byte[]> p, String topic, String pod, byte[] value) {
        p.send(new ProducerRecord<>(topic, ("ns/svc/" + pod).getBytes(StandardCharsets.UTF_8), value));
    }

    private static byte[] status(String pod) {
        return AvroCodec.podStatus().encode(PodStatus.newBuilder().setNamespace("ns").setService("svc").setPod(pod)
                .setState(PodState.CONNECTED).setWorkers(List.of(new WorkerStatus(0, true, 0L, 0L, 1L, 0L, 0L, 0L)))
                .setAddress("127.0.0.1:" + CLOSED_PORT).setRunningRequests(1).setWaitingRequests(0)
                .setKvCacheUsage(0.1).setReportedAtMicros(System.currentTimeMillis() * 1000).build());
    }

    private static byte[] stored(String pod, int[] tokens) {
        List<Long> hashes = new ArrayList<>();
        List<Integer> t = new ArrayList<>();
        for (int i = 0; i < tokens.length / BS; i++) {
            hashes.add(700L + i);
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
