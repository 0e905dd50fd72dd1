package io.kvrelay.ingest.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kvrelay.ingest.IngestBridge;
import io.kvrelay.ingest.admin.AdminServer;
import io.kvrelay.ingest.config.AdminConfig;
import io.kvrelay.ingest.config.BridgeConfig;
import io.kvrelay.ingest.config.KafkaSinkConfig;
import io.kvrelay.ingest.config.PodConfig;
import io.kvrelay.ingest.config.ZmqConfig;
import io.kvrelay.schemas.avro.DeadLetter;
import io.kvrelay.schemas.avro.DeadLetterKind;
import io.kvrelay.schemas.avro.KvEventBatch;
import io.kvrelay.schemas.avro.PodState;
import io.kvrelay.schemas.avro.WorkerReset;
import io.kvrelay.schemas.avro.WorkerResetReason;
import io.kvrelay.testkit.KafkaBroker;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * Bad input over real ZeroMQ into a real broker: every malformed message lands in the dead-letter topic with its raw
 * frames and a reason, good messages around it are delivered, and the admin API adds and removes pods.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BridgeDeadLetterAndAdminIT {
    private static final KafkaBroker broker = KafkaBroker.shared();
    private static final String PREFIX = "it-dlq-" + UUID.randomUUID().toString().substring(0, 8);
    private static final String TOPIC = "kv@127.0.0.1@m";
    private static final HttpClient http = HttpClient.newHttpClient();

    private static ZContext zmq;
    private static ZMQ.Socket pub;
    private static IngestBridge bridge;
    private static AdminServer admin;
    private static final String TOKEN = "bridge-admin-token-of-this-test";
    private static PodConfig pod;

    @BeforeAll
    static void start() throws Exception {
        zmq = new ZContext();
        // XPUB, not PUB: it hands us the bridge's subscription, so the test sends once the subscription is there
        // (a fixed sleep lost every message on a busy machine: a PUB drops what no subscriber has asked for yet).
        pub = zmq.createSocket(SocketType.XPUB);
        pub.setReceiveTimeOut(60_000);
        int port = pub.bindToRandomPort("tcp://127.0.0.1");
        pod = new PodConfig("ns", "svc", "pod-0", 0, "127.0.0.1", port, null, 1, "m", "");
        KafkaSinkConfig kafka = new KafkaSinkConfig(broker.bootstrapServers(), PREFIX, true, (short) 1, "lz4", 1, Map.of());
        BridgeConfig cfg = new BridgeConfig("it", kafka, ZmqConfig.defaults(), new AdminConfig("127.0.0.1", 0, TOKEN), 64,
                200, List.of(pod));
        bridge = new IngestBridge(cfg).start();
        admin = new AdminServer(bridge, cfg.admin()).start();
        await().atMost(Duration.ofSeconds(10)).until(() -> bridge.registry().pods().iterator().next()
                .workers().get(0).stats().connected());
        byte[] subscription = pub.recv();
        if (subscription == null || subscription.length == 0 || subscription[0] != 1) {
            throw new IllegalStateException("the bridge did not subscribe within 60 s");
        }
    }

    @AfterAll
    static void stop() {
        admin.close();
        bridge.close();
        zmq.close();
    }

    private static byte[] fixture(String name) throws IOException {
        try (InputStream in = BridgeDeadLetterAndAdminIT.class.getResourceAsStream("/vllm-wire/" + name)) {
            return in.readAllBytes();
        }
    }

    private static byte[] seq(long s) {
        return ByteBuffer.allocate(8).putLong(s).array();
    }

    private static void send(byte[]... frames) {
        for (int i = 0; i < frames.length; i++) {
            pub.send(frames[i], i < frames.length - 1 ? ZMQ.SNDMORE : 0);
        }
    }

    private static HttpResponse<String> call(String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.port() + path));
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        b.header("Authorization", "Bearer " + TOKEN);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    @Order(1)
    void shouldDeadLetterEveryMalformedMessageAndDeliverTheRest() throws Exception {
        byte[] t = TOPIC.getBytes();
        send(t, seq(0), fixture("array-legacy.msgpack"));
        send(t, seq(1));                                          // 2 frames
        send(t, new byte[] {0, 0, 0, 1}, fixture("array-full.msgpack")); // 4-byte sequence
        send(t, seq(1), fixture("bad-truncated.msgpack"));        // undecodable
        send(t, seq(2), fixture("bad-not-a-batch.msgpack"));      // undecodable
        send(t, seq(3), fixture("array-full.msgpack"), new byte[] {1}); // 4 frames
        send(t, seq(3), fixture("map-events.msgpack"));

        String dlqTopic = bridge.topics().deadLetters().name();
        await().atMost(Duration.ofSeconds(20)).until(() -> new TopicReader(broker).deadLetters(dlqTopic).size() >= 5);
        List<DeadLetter> dead = new TopicReader(broker).deadLetters(dlqTopic);
        assertThat(dead).extracting(DeadLetter::getErrorKind).containsExactly(
                DeadLetterKind.WRONG_FRAME_COUNT, DeadLetterKind.BAD_SEQUENCE_FRAME,
                DeadLetterKind.DECODE_ERROR, DeadLetterKind.DECODE_ERROR, DeadLetterKind.WRONG_FRAME_COUNT);
        assertThat(dead.get(0).getErrorMessage()).contains("expected 3 frames").contains("got 2");
        assertThat(dead.get(1).getErrorMessage()).contains("4 bytes");
        assertThat(dead.get(2).getSequence()).isEqualTo(1L);
        assertThat(dead.get(2).getFrames()).hasSize(3);
        assertThat(dead.get(2).getFrames().get(2)).isEqualTo(ByteBuffer.wrap(fixture("bad-truncated.msgpack")));
        assertThat(dead).allSatisfy(d -> assertThat(d.getPod()).isEqualTo("pod-0"));

        String events = bridge.topics().kvEvents().name();
        await().atMost(Duration.ofSeconds(20)).until(() -> new TopicReader(broker).events(events).size() >= 2);
        List<KvEventBatch> delivered = new TopicReader(broker).events(events);
        assertThat(delivered).extracting(KvEventBatch::getSequence).containsExactly(0L, 3L);
        assertThat(delivered).allSatisfy(b -> assertThat(b.getEvents()).noneMatch(e -> e instanceof WorkerReset));
        assertThat(delivered.get(0).getTopic()).isEqualTo(TOPIC);
        assertThat(bridge.metrics().count("kvrelay.bridge.decode.errors")).isEqualTo(2);
    }

    @Test
    @Order(2)
    void shouldServeHealthMetricsAndPods() throws Exception {
        assertThat(call("GET", "/health", null).statusCode()).isEqualTo(200);
        HttpResponse<String> metrics = call("GET", "/metrics", null);
        assertThat(metrics.body()).contains("kvrelay_bridge_dead_letters_total").contains("kvrelay_bridge_handoff_depth");
        HttpResponse<String> pods = call("GET", "/pods", null);
        assertThat(pods.body()).contains("ns/svc/pod-0").contains("\"connected\":true");
        // Two good batches and two undecodable ones: pod status counts them apart.
        assertThat(pods.body()).contains("\"batches\":2").contains("\"deadLettered\":2");
    }

    @Test
    @Order(3)
    void shouldRejectBadPodDefinitionsWithAClearMessage() throws Exception {
        HttpResponse<String> notJson = call("POST", "/pods", "{not json");
        assertThat(notJson.statusCode()).isEqualTo(400);
        assertThat(notJson.body()).contains("invalid PodConfig JSON");
        HttpResponse<String> noHost = call("POST", "/pods",
                "{\"namespace\":\"ns\",\"service\":\"svc\",\"pod\":\"p\",\"pubPort\":5557}");
        assertThat(noHost.statusCode()).isEqualTo(400);
        assertThat(noHost.body()).contains("host is required");
        HttpResponse<String> dup = call("POST", "/pods",
                "{\"namespace\":\"ns\",\"service\":\"svc\",\"pod\":\"pod-0\",\"host\":\"127.0.0.1\",\"pubPort\":5557}");
        assertThat(dup.statusCode()).isEqualTo(409);
        assertThat(call("DELETE", "/pods/ns/svc/nope", null).statusCode()).isEqualTo(404);
    }

    @Test
    @Order(4)
    void shouldAddAndRemovePodsAtRunTimeAndPurgeRemovedOnes() throws Exception {
        ZMQ.Socket pub2 = zmq.createSocket(SocketType.PUB);
        int port2 = pub2.bindToRandomPort("tcp://127.0.0.1");
        HttpResponse<String> added = call("POST", "/pods", "{\"namespace\":\"ns\",\"service\":\"svc\",\"pod\":\"pod-1\","
                + "\"host\":\"127.0.0.1\",\"pubPort\":" + port2 + ",\"dpRanks\":1}");
        assertThat(added.statusCode()).isEqualTo(201);
        assertThat(bridge.registry().get("ns/svc/pod-1")).isPresent();

        HttpResponse<String> removed = call("DELETE", "/pods/ns/svc/pod-0", null);
        assertThat(removed.statusCode()).isEqualTo(200);

        String events = bridge.topics().kvEvents().name();
        await().atMost(Duration.ofSeconds(20)).until(() -> new TopicReader(broker).events(events).stream()
                .anyMatch(b -> b.getEvents().stream().anyMatch(e -> e instanceof WorkerReset)));
        KvEventBatch reset = new TopicReader(broker).events(events).stream()
                .filter(b -> b.getEvents().get(0) instanceof WorkerReset).findFirst().orElseThrow();
        WorkerReset r = (WorkerReset) reset.getEvents().get(0);
        assertThat(reset.getPod()).isEqualTo("pod-0");
        assertThat(r.getReason()).isEqualTo(WorkerResetReason.POD_REMOVED);
        assertThat(r.getLastSequence()).isEqualTo(3L);

        String status = bridge.topics().podStatus().name();
        await().atMost(Duration.ofSeconds(20)).until(() -> new TopicReader(broker).statuses(status).stream()
                .anyMatch(s -> s.getPod().equals("pod-0") && s.getState() == PodState.REMOVED));
        await().atMost(Duration.ofSeconds(20)).until(() -> new TopicReader(broker).statuses(status).stream()
                .anyMatch(s -> s.getPod().equals("pod-1")));
        zmq.destroySocket(pub2);
    }

    @Test
    @Order(5)
    void shouldKeepPodsAddedThroughTheApiAcrossRestartsUntilRemoved() throws Exception {
        // pod-1 came through the API (test 4), pod-0 from the file (removed through the API: until a restart).
        BridgeConfig cfg = new BridgeConfig("it", new KafkaSinkConfig(broker.bootstrapServers(), PREFIX, true,
                (short) 1, "lz4", 1, Map.of()), ZmqConfig.defaults(), new AdminConfig("127.0.0.1", 0, TOKEN), 64, 200,
                List.of(pod));
        admin.close();
        bridge.close();
        try (IngestBridge again = new IngestBridge(cfg).start()) {
            assertThat(again.registry().pods()).extracting(p -> p.config().pod()).containsExactly("pod-0", "pod-1");
            admin = new AdminServer(again, cfg.admin()).start();
            assertThat(call("DELETE", "/pods/ns/svc/pod-1", null).statusCode()).isEqualTo(200);
            assertThat(again.registry().get("ns/svc/pod-1")).as("removed at once").isEmpty();
            admin.close();
        }
        try (IngestBridge third = new IngestBridge(cfg).start()) {
            assertThat(third.registry().pods()).extracting(p -> p.config().pod()).containsExactly("pod-0");
        }
    }
}
