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
import io.kvrelay.testkit.KafkaBroker;
import io.kvrelay.testkit.OpenApiContract;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The bridge's admin API answers as ingest-bridge/openapi.yaml says: every operation's success and its main errors,
 * each exchange checked against the spec by {@link OpenApiContract}. A bridge of its own on the shared broker, with
 * an admin token; its pods have no publisher behind them (the API does not need one).
 */
class AdminApiContractIT {
    private static final String TOKEN = "it-admin-token";

    @Test
    void shouldAnswerEveryOperationAsTheSpecSays() throws Exception {
        KafkaBroker broker = KafkaBroker.shared();
        String prefix = "it-oas-" + UUID.randomUUID().toString().substring(0, 8);
        PodConfig pod = new PodConfig("ns", "svc", "pod-0", 0, "127.0.0.1", freePort(), null, 1, "m", "");
        KafkaSinkConfig kafka = new KafkaSinkConfig(broker.bootstrapServers(), prefix, true, (short) 1, "lz4", 1,
                Map.of());
        BridgeConfig cfg = new BridgeConfig("it-oas", kafka, ZmqConfig.defaults(),
                new AdminConfig("127.0.0.1", 0, TOKEN), 64, 200, List.of(pod));
        OpenApiContract contract = OpenApiContract.load(Path.of("openapi.yaml"));
        try (IngestBridge bridge = new IngestBridge(cfg).start();
             AdminServer admin = new AdminServer(bridge, cfg.admin()).start()) {
            OpenApiContract.Client anyone = contract.client("http://127.0.0.1:" + admin.port());
            OpenApiContract.Client operator = anyone.withToken(TOKEN);
            await().atMost(Duration.ofSeconds(60)).until(bridge::healthy);

            assertThat(anyone.get("/health").statusCode()).isEqualTo(200);
            assertThat(anyone.get("/livez").body()).contains("UP");
            assertThat(anyone.get("/readyz").body()).contains("READY");
            assertThat(anyone.get("/metrics").body()).contains("kvrelay_bridge_");
            assertThat(anyone.get("/pods").body()).contains("ns/svc/pod-0");
            assertThat(anyone.get("/pods/ns/svc/pod-0").statusCode()).isEqualTo(200);
            assertThat(anyone.get("/pods/ns/svc/nope").statusCode()).isEqualTo(404);

            String pod1 = "{\"namespace\":\"ns\",\"service\":\"svc\",\"pod\":\"pod-1\",\"host\":\"127.0.0.1\","
                    + "\"pubPort\":" + freePort() + ",\"servingPort\":" + freePort() + ",\"model\":\"m\"}";
            assertThat(anyone.post("/pods", pod1).statusCode()).as("no token").isEqualTo(401);
            assertThat(operator.post("/pods", pod1).statusCode()).isEqualTo(201);
            assertThat(operator.post("/pods", pod1).statusCode()).as("already there").isEqualTo(409);
            assertThat(operator.post("/pods", "{not json").statusCode()).isEqualTo(400);
            String noHost = "{\"namespace\":\"ns\",\"service\":\"svc\",\"pod\":\"p\",\"pubPort\":5557}";
            assertThat(operator.post("/pods", noHost).body()).contains("host is required");
            assertThat(operator.post("/pods", "{\"pad\":\"" + "x".repeat(70 * 1024) + "\"}").statusCode())
                    .isEqualTo(413);
            assertThat(operator.sendAs("POST", "PUT", "/pods", pod1).statusCode()).isEqualTo(405);

            assertThat(anyone.delete("/pods/ns/svc/pod-1").statusCode()).as("no token").isEqualTo(401);
            assertThat(operator.delete("/pods/ns/svc/pod-1").body()).contains("ns/svc/pod-1");
            assertThat(operator.delete("/pods/ns/svc/pod-1").statusCode()).as("gone").isEqualTo(404);
            assertThat(operator.sendAs("DELETE", "PUT", "/pods/ns/svc/pod-0", null).statusCode()).isEqualTo(405);
        }
        contract.assertEveryOperationCalled();
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
