package io.kvrelay.ingest.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvrelay.ingest.config.PodConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class VllmPodReaderTest {
    private static final String EVENTS = "{\"enable_kv_cache_events\":true,\"publisher\":\"zmq\","
            + "\"endpoint\":\"tcp://*:5557\",\"replay_endpoint\":\"tcp://*:5600\",\"topic\":\"kv@llama\"}";
    private final VllmPodReader reader = new VllmPodReader(new KubernetesConfig(true, List.of("llm"), "app=vllm",
            null, null, 0, null, 0));

    private static PodFacts pod(Map<String, String> labels, Map<String, String> annotations, List<String> command,
                                List<String> args) {
        return new PodFacts("llm", "llama-3", "uid-1", labels, annotations, "10.0.0.7", true, "StatefulSet", "llama",
                List.of(new PodFacts.Container("sidecar", List.of("envoy"), List.of()),
                        new PodFacts.Container("vllm", command, args)));
    }

    @Test
    void shouldReadEverythingFromTheVllmContainersArguments() {
        PodFacts f = pod(Map.of("app.kubernetes.io/instance", "llama-8b"), Map.of(), List.of("vllm"),
                List.of("serve", "meta-llama/Llama-3.1-8B-Instruct", "--port", "8001", "--data-parallel-size", "2",
                        "--kv-events-config", EVENTS));

        VllmPodReader.Reading r = reader.read(f);

        assertThat(r.problem()).isNull();
        PodConfig c = r.pod().config();
        assertThat(c).isEqualTo(new PodConfig("llm", "llama-8b", "llama-3", 3, "10.0.0.7", 5557, 5600, 2,
                "meta-llama/Llama-3.1-8B-Instruct", "kv@llama", 8001, null));
        assertThat(r.pod().incarnation()).isEqualTo("uid-1");
    }

    @Test
    void shouldReadAShellScriptAndEqualsForms() {
        PodFacts f = pod(Map.of("app.kubernetes.io/instance", "svc"), Map.of(), List.of("/bin/sh", "-c"),
                List.of("exec vllm serve m --served-model-name llama --kv-events-config '" + EVENTS + "' -dp=4"));

        PodConfig c = reader.read(f).pod().config();

        assertThat(c.pubPort()).isEqualTo(5557);
        assertThat(c.replayPort()).isEqualTo(5600);
        assertThat(c.dpRanks()).isEqualTo(4);
        assertThat(c.model()).isEqualTo("llama");
        assertThat(c.servingPort()).as("vLLM's default port").isEqualTo(8000);
    }

    @Test
    void shouldLetAnnotationsWin() {
        PodFacts f = pod(Map.of("app.kubernetes.io/instance", "svc", "apps.kubernetes.io/pod-index", "7"),
                Map.of("kvrelay.io/service", "other", "kvrelay.io/kv-events-port", "6000",
                        "kvrelay.io/replay-port", "6100", "kvrelay.io/dp-size", "1", "kvrelay.io/serving-port", "9000",
                        "kvrelay.io/model", "m2", "kvrelay.io/topic", "t", "kvrelay.io/metrics-path", "/m"),
                List.of("vllm"), List.of("serve", "m", "--kv-events-config", EVENTS));

        PodConfig c = reader.read(f).pod().config();

        assertThat(c).isEqualTo(new PodConfig("llm", "other", "llama-3", 7, "10.0.0.7", 6000, 6100, 1, "m2", "t",
                9000, "/m"));
    }

    @Test
    void shouldSayWhyAPodCannotBeSubscribedTo() {
        assertThat(reader.read(pod(Map.of(), Map.of(), List.of("vllm"), List.of("serve", "m", "--kv-events-config",
                EVENTS))).problem()).contains("no service");
        assertThat(reader.read(pod(Map.of("app.kubernetes.io/instance", "s"), Map.of(), List.of("vllm"),
                List.of("serve", "m"))).problem()).contains("no KV-event port");
        assertThat(reader.read(pod(Map.of("app.kubernetes.io/instance", "s"), Map.of(), List.of("vllm"),
                List.of("serve", "m", "--kv-events-config", "{\"endpoint\":\"ipc:///tmp/kv\"}"))).problem())
                .contains("not a tcp://");
        assertThat(reader.read(pod(Map.of("app.kubernetes.io/instance", "s"), Map.of(), List.of("vllm"),
                List.of("serve", "m", "--kv-events-config", "{not json"))).problem()).contains("not JSON");
        assertThat(reader.read(pod(Map.of("app.kubernetes.io/instance", "s"), Map.of(), List.of("vllm"),
                List.of("serve", "m", "--kv-events-config", "{\"enable_kv_cache_events\":false}"))).problem())
                .contains("enable_kv_cache_events false");
        assertThat(reader.read(pod(Map.of("app.kubernetes.io/instance", "s"), Map.of("kvrelay.io/dp-size", "x"),
                List.of("vllm"), List.of("serve", "m", "--kv-events-config", EVENTS))).problem())
                .contains("kvrelay.io/dp-size");
        PodFacts noIp = new PodFacts("llm", "p", "u", Map.of("app.kubernetes.io/instance", "s"), Map.of(), null, false,
                null, null, List.of());
        assertThat(reader.read(noIp).problem()).contains("no pod IP");
    }

    @Test
    void shouldDefaultVllmsEndpointWhenTheConfigOmitsIt() {
        PodConfig c = reader.read(pod(Map.of("app.kubernetes.io/instance", "s"), Map.of(), List.of("vllm"),
                List.of("serve", "m", "--kv-events-config={\"enable_kv_cache_events\":true}"))).pod().config();

        assertThat(c.pubPort()).as("vLLM's default endpoint tcp://*:5557").isEqualTo(5557);
        assertThat(c.replayPort()).isNull();
        assertThat(c.topic()).isEmpty();
    }

    @Test
    void shouldTakeNoIndexWithoutAStatefulSet() {
        PodFacts f = new PodFacts("llm", "llama-abc12", "u", Map.of("app.kubernetes.io/instance", "s"), Map.of(),
                "10.0.0.8", true, "ReplicaSet", "llama", List.of(new PodFacts.Container("vllm", List.of(),
                List.of("--kv-events-config", EVENTS))));

        assertThat(reader.read(f).pod().config().index()).isNull();
    }
}
