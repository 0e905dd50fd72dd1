package io.kvrelay.ingest.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.kvrelay.ingest.config.BridgeConfig;
import io.kvrelay.ingest.config.ConfigLoader;
import io.kvrelay.ingest.config.PodConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The repository's example vLLM StatefulSet (deploy/k8s/examples/vllm.yaml), one of its pods as the API would show it,
 * read with the manifests' own discovery settings (deploy/k8s/base/bridge.json): what a bridge would subscribe to.
 */
class KubernetesExampleTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @Test
    void theExampleVllmPodIsReadAsTheDocsSay() throws Exception {
        StatefulSet sts = Serialization.unmarshal(Files.readString(ROOT.resolve("deploy/k8s/examples/vllm.yaml")),
                StatefulSet.class);
        KubernetesConfig discovery = ConfigLoader.parse(Files.readString(ROOT.resolve("deploy/k8s/base/bridge.json")),
                BridgeConfig.class).discovery().kubernetes();
        Pod pod = new PodBuilder().withMetadata(sts.getSpec().getTemplate().getMetadata())
                .editMetadata().withName("llama-8b-1").withNamespace("llm").withUid("u1")
                .addNewOwnerReference().withKind("StatefulSet").withName("llama-8b").withController(true)
                .endOwnerReference().endMetadata()
                .withSpec(sts.getSpec().getTemplate().getSpec())
                .withNewStatus().withPodIP("10.1.2.3").addNewCondition().withType("Ready").withStatus("True")
                .endCondition().endStatus().build();

        assertThat(discovery.labelSelector()).isEqualTo("app.kubernetes.io/name=vllm");
        assertThat(pod.getMetadata().getLabels()).containsEntry("app.kubernetes.io/name", "vllm");
        VllmPodReader.Reading r = new VllmPodReader(discovery).read(KubernetesPodSource.facts(pod));

        assertThat(r.problem()).isNull();
        assertThat(r.pod().config()).isEqualTo(new PodConfig("llm", "llama-8b", "llama-8b-1", 1, "10.1.2.3", 5557, 5600,
                2, "meta-llama/Llama-3.1-8B-Instruct", "kv", 8000, null));
    }
}
