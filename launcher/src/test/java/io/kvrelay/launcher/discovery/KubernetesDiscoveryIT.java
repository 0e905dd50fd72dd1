package io.kvrelay.launcher.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.kvrelay.ingest.config.BridgeConfig;
import io.kvrelay.ingest.discovery.KubernetesConfig;
import io.kvrelay.launcher.pipeline.PipelineFixture;
import io.kvrelay.schemas.AvroCodec;
import io.kvrelay.schemas.BlockKeys;
import io.kvrelay.schemas.avro.EventOrigin;
import io.kvrelay.schemas.avro.KvEventBatch;
import io.kvrelay.schemas.avro.WorkerReset;
import io.kvrelay.schemas.avro.WorkerResetReason;
import io.kvrelay.sim.FidelityPreset;
import io.kvrelay.sim.SimPod;
import io.kvrelay.sim.SimPodConfig;
import io.kvrelay.sim.WorkloadGenerator;
import io.kvrelay.stream.query.PrefixMatch;
import io.kvrelay.stream.query.PrefixMatchRequest;
import io.kvrelay.stream.query.QueryOutcome;
import io.kvrelay.testkit.KafkaBroker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pipeline on a Kubernetes API (fabric8's mock server in CRUD mode as the cluster): the bridge has no pod in its
 * configuration and follows the pods the cluster has, while they publish. A pod that is not Ready is not subscribed;
 * once Ready it is, with everything read from its vLLM arguments; a scale-up is followed; a deleted pod ends with
 * WorkerReset(POD_REMOVED), leaves the index and the router's routable pods; a pod replaced under the same name (a
 * new uid, a new vLLM process) ends and starts again. In Kafka, every batch of every pod exactly once, in order, and
 * no reset but the removals: nothing lost, nothing invented.
 */
class KubernetesDiscoveryIT {
    private static final String NS = "llm";
    private static final String SERVICE = "llama";

    @TempDir
    Path dir;

    private KubernetesMockServer api;
    private KubernetesClient k8s;

    @BeforeEach
    void startApi() {
        api = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), false);
        api.init();
        k8s = api.createClient();
    }

    @AfterEach
    void stopApi() {
        k8s.close();
        api.destroy();
    }

    @Test
    void shouldFollowThePodsOfTheClusterWithoutLossOrInvention() throws Exception {
        List<SimPodConfig> sims = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            sims.add(SimPodConfig.builder("vllm-" + i).namespace(NS).service(SERVICE).preset(FidelityPreset.VLLM)
                    .capacityBlocks(100_000).seed(300 + i).build());
        }
        KubernetesConfig discovery = new KubernetesConfig(true, List.of(NS), "app=vllm", null, null, 0,
                k8s.getMasterUrl().toString(), 0);
        try (PipelineFixture f = PipelineFixture.start(dir, sims, r -> r,
                b -> b.withPods(List.of()).withDiscovery(new BridgeConfig.Discovery(discovery)))) {
            Map<String, WorkloadGenerator> gens = new HashMap<>();
            for (int i = 0; i < 4; i++) {
                gens.put("vllm-" + i, new WorkloadGenerator(WorkloadGenerator.Settings.defaults(), 300 + i));
            }
            assertThat(f.bridge().registry().pods()).as("nothing in the cluster yet").isEmpty();

            // 0 starts (not Ready), 1 is Ready: only 1 is subscribed.
            create(f.pod("vllm-0"), "uid-0", false);
            create(f.pod("vllm-1"), "uid-1", true);
            awaitSubscribed(f, "vllm-1");
            assertThat(subscribed(f)).containsExactly("vllm-1");
            assertThat(f.bridge().registry().get(NS + "/" + SERVICE + "/vllm-1").orElseThrow().config().index())
                    .as("the StatefulSet ordinal").isEqualTo(1);

            // 0 becomes Ready; a scale-up adds 2.
            ready(f.pod("vllm-0"), "uid-0");
            create(f.pod("vllm-2"), "uid-2", true);
            awaitSubscribed(f, "vllm-0", "vllm-1", "vllm-2");
            serve(f, gens, List.of("vllm-0", "vllm-1", "vllm-2"), 30);
            f.awaitRoutable(NS, SERVICE, 3);
            int[] onPod1 = servedPrompt(f, gens, "vllm-1");
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250))
                    .until(() -> holders(f, onPod1).contains("vllm-1"));

            // 1 is deleted: removed from the bridge, the index and the router.
            k8s.pods().inNamespace(NS).withName("vllm-1").delete();
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250))
                    .untilAsserted(() -> assertThat(subscribed(f)).containsExactly("vllm-0", "vllm-2"));
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250))
                    .until(() -> !holders(f, onPod1).contains("vllm-1"));
            await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(250))
                    .until(() -> f.routable(NS, SERVICE) == 2);

            // 2 is replaced: same name, new uid, a new vLLM process (its sequence starts again).
            k8s.pods().inNamespace(NS).withName("vllm-2").delete();
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250))
                    .untilAsserted(() -> assertThat(subscribed(f)).containsExactly("vllm-0"));
            f.pod("vllm-2").restart();
            create(f.pod("vllm-2"), "uid-2b", true);
            create(f.pod("vllm-3"), "uid-3", true);
            awaitSubscribed(f, "vllm-0", "vllm-2", "vllm-3");
            serve(f, gens, List.of("vllm-0", "vllm-2", "vllm-3"), 30);
            f.awaitRoutable(NS, SERVICE, 3);

            Map<String, List<KvEventBatch>> byPod = awaitAllDelivered(f, List.of("vllm-0", "vllm-2", "vllm-3"));
            assertExactlyOnce(byPod.get("vllm-0"), f.pod("vllm-0").publisher(0).nextSeq(), List.of());
            assertExactlyOnce(byPod.get("vllm-3"), f.pod("vllm-3").publisher(0).nextSeq(), List.of());
            assertRemoved(byPod.get("vllm-1"));
            // vllm-2: its first life, its removal, its second life from sequence 0.
            List<KvEventBatch> two = byPod.get("vllm-2");
            int cut = indexOfRemoval(two);
            assertThat(cut).as("vllm-2 removed when replaced").isPositive();
            assertExactlyOnce(two.subList(0, cut), sequencesOf(two.subList(0, cut)).size(), List.of());
            assertExactlyOnce(two.subList(cut + 1, two.size()), f.pod("vllm-2").publisher(0).nextSeq(), List.of());
        }
    }

    private void create(SimPod sim, String uid, boolean ready) {
        String name = sim.config().pod();
        String events = "{\"enable_kv_cache_events\":true,\"publisher\":\"zmq\",\"endpoint\":\"tcp://*:"
                + sim.pubBasePort() + "\",\"replay_endpoint\":\"tcp://*:" + sim.replayBasePort() + "\"}";
        Pod pod = new PodBuilder()
                .withNewMetadata().withName(name).withNamespace(NS).withUid(uid)
                .addToLabels("app", "vllm").addToLabels("app.kubernetes.io/instance", SERVICE)
                .addNewOwnerReference().withKind("StatefulSet").withName("vllm").withController(true)
                .withApiVersion("apps/v1").withUid("sts").endOwnerReference()
                .endMetadata()
                .withNewSpec().addNewContainer().withName("vllm").withImage("vllm/vllm-openai")
                .withCommand("vllm").withArgs("serve", "sim-model", "--port", String.valueOf(sim.servingPort()),
                        "--kv-events-config", events)
                .endContainer().endSpec()
                .withNewStatus().withPodIP("127.0.0.1").addNewCondition().withType("Ready")
                .withStatus(ready ? "True" : "False").endCondition().endStatus()
                .build();
        k8s.pods().inNamespace(NS).resource(pod).create();
    }

    private void ready(SimPod sim, String uid) {
        k8s.pods().inNamespace(NS).withName(sim.config().pod()).edit(p -> new PodBuilder(p).editStatus()
                .withConditions().addNewCondition().withType("Ready").withStatus("True").endCondition().endStatus()
                .build());
    }

    private static List<String> subscribed(PipelineFixture f) {
        return f.bridge().registry().pods().stream().map(p -> p.config().pod()).toList();
    }

    private static void awaitSubscribed(PipelineFixture f, String... pods) {
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> assertThat(subscribed(f)).containsExactly(pods));
        for (String p : pods) {
            assertThat(f.pod(p).awaitSubscribers(0, 1, Duration.ofSeconds(120))).as(p).isTrue();
        }
    }

    private static void serve(PipelineFixture f, Map<String, WorkloadGenerator> gens, List<String> pods, int each) {
        for (int n = 0; n < each; n++) {
            for (String p : pods) {
                WorkloadGenerator.Request r = gens.get(p).next();
                f.pod(p).serve(0, r.tokens(), r.lora());
            }
        }
    }

    private static int[] servedPrompt(PipelineFixture f, Map<String, WorkloadGenerator> gens, String pod) {
        WorkloadGenerator.Request r = gens.get(pod).next();
        f.pod(pod).serve(0, r.tokens(), null);
        return r.tokens();
    }

    private static List<String> holders(PipelineFixture f, int[] tokens) {
        QueryOutcome<PrefixMatch> answer = f.stream().queries().local()
                .prefixMatch(new PrefixMatchRequest(NS, SERVICE, BlockKeys.chain(tokens, 16, null), List.of()));
        if (!(answer instanceof QueryOutcome.Found<PrefixMatch> found)) {
            return List.of();
        }
        return found.value().workers().stream().filter(w -> w.matched() > 0).map(PrefixMatch.WorkerMatch::pod)
                .toList();
    }

    /** Every record of the pods' event topic, by pod, once the last published batch of each of {@code live} is in. */
    private static Map<String, List<KvEventBatch>> awaitAllDelivered(PipelineFixture f, List<String> live) {
        Map<String, List<KvEventBatch>> out = new HashMap<>();
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
            out.clear();
            AvroCodec<KvEventBatch> codec = AvroCodec.kvEvents();
            for (ConsumerRecord<byte[], byte[]> r : KafkaBroker.shared().readAll(f.prefix() + ".kv-events",
                    Duration.ofSeconds(30))) {
                KvEventBatch b = codec.decode(r.value());
                out.computeIfAbsent(b.getPod(), k -> new ArrayList<>()).add(b);
            }
            for (String p : live) {
                List<KvEventBatch> records = out.getOrDefault(p, List.of());
                assertThat(records).as(p).isNotEmpty();
                KvEventBatch last = records.get(records.size() - 1);
                assertThat(last.getOrigin()).as(p).isNotEqualTo(EventOrigin.BRIDGE);
                assertThat(last.getSequence()).as(p).isEqualTo(f.pod(p).publisher(0).nextSeq() - 1);
            }
        });
        return out;
    }

    private static void assertExactlyOnce(List<KvEventBatch> records, long published, List<WorkerResetReason> resets) {
        assertThat(records.stream().filter(b -> b.getOrigin() == EventOrigin.BRIDGE)
                .map(b -> ((WorkerReset) b.getEvents().get(0)).getReason()).toList()).isEqualTo(resets);
        List<Long> seqs = sequencesOf(records);
        List<Long> expected = new ArrayList<>();
        for (long s = 0; s < published; s++) {
            expected.add(s);
        }
        assertThat(seqs).as("every batch exactly once, in order").isEqualTo(expected);
    }

    private static void assertRemoved(List<KvEventBatch> records) {
        int cut = indexOfRemoval(records);
        assertThat(cut).as("a removal").isEqualTo(records.size() - 1);
        assertExactlyOnce(records.subList(0, cut), sequencesOf(records.subList(0, cut)).size(), List.of());
    }

    private static int indexOfRemoval(List<KvEventBatch> records) {
        for (int i = 0; i < records.size(); i++) {
            KvEventBatch b = records.get(i);
            if (b.getOrigin() == EventOrigin.BRIDGE) {
                assertThat(((WorkerReset) b.getEvents().get(0)).getReason()).isEqualTo(WorkerResetReason.POD_REMOVED);
                return i;
            }
        }
        return -1;
    }

    private static List<Long> sequencesOf(List<KvEventBatch> records) {
        return records.stream().filter(b -> b.getOrigin() != EventOrigin.BRIDGE).map(KvEventBatch::getSequence)
                .toList();
    }

}
