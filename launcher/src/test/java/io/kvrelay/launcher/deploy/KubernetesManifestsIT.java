package io.kvrelay.launcher.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.kvrelay.http.KvrelayVersion;
import io.kvrelay.ingest.config.BridgeConfig;
import io.kvrelay.ingest.config.ConfigLoader;
import io.kvrelay.router.config.RouterConfig;
import io.kvrelay.stream.config.StreamAppConfig;
import io.kvrelay.testkit.RequiredTools;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/k8s as an operator renders it, offline, with {@code kubectl kustomize} (the example overlay, its admin-token
 * file made in a copy: it is never in the repository): every document a Kubernetes object in the overlay's namespace;
 * every ConfigMap and Secret a workload names exists, and each ConfigMap's file is a valid configuration of its part;
 * every image is one the build makes, of this version, from the overlay's registry; every Service selects a workload
 * and names ports it has; every container has the liveness and readiness probes on a port it declares. What this
 * cannot check: a real cluster (none here).
 */
class KubernetesManifestsIT {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Map<String, String> IMAGES = Map.of("kvrelay-bridge", "ingest-bridge",
            "kvrelay-stream-app", "stream-app", "kvrelay-router", "router");

    @TempDir
    Path dir;

    @Test
    void theExampleOverlayRendersToObjectsThatHangTogether() throws Exception {
        List<JsonNode> docs = render("overlays/example");
        Map<String, JsonNode> configMaps = new HashMap<>();
        Set<String> secrets = new HashSet<>();
        Map<String, JsonNode> workloads = new HashMap<>();
        Map<String, Set<String>> portsOf = new HashMap<>();
        for (JsonNode d : docs) {
            String kind = d.path("kind").asText();
            String name = d.path("metadata").path("name").asText();
            assertThat(d.path("apiVersion").asText()).as("apiVersion of %s", name).isNotBlank();
            assertThat(name).as("a %s's name", kind).isNotBlank();
            if (!kind.equals("Namespace")) {
                assertThat(d.path("metadata").path("namespace").asText()).as("%s %s", kind, name).isEqualTo("kvrelay");
            }
            switch (kind) {
                case "ConfigMap" -> configMaps.put(name, d);
                case "Secret" -> secrets.add(name);
                case "Deployment", "StatefulSet" -> workloads.put(name, d);
                default -> { }
            }
        }
        assertThat(docs).as("objects rendered").hasSize(17);
        assertThat(workloads).containsOnlyKeys(IMAGES.keySet());
        assertThat(docs).extracting(d -> d.path("kind").asText()).contains("Role", "RoleBinding", "ServiceAccount",
                "PodDisruptionBudget", "Namespace");

        // Bridges sharing a fleet need a name each in the group: the pod's.
        JsonNode bridge = workloads.get("kvrelay-bridge");
        assertThat(bridge.path("spec").path("replicas").asInt()).isGreaterThan(1);
        assertThat(bridge.path("spec").path("template").path("spec").path("containers").get(0).path("env").toString())
                .contains("KVRELAY_INSTANCE_ID").contains("metadata.name");
        for (Map.Entry<String, JsonNode> w : workloads.entrySet()) {
            JsonNode spec = w.getValue().path("spec").path("template").path("spec");
            Set<String> portNames = new HashSet<>();
            for (JsonNode c : spec.path("containers")) {
                assertThat(c.path("image").asText()).as(w.getKey()).isEqualTo("registry.example.com/kvrelay/"
                        + IMAGES.get(w.getKey()) + ":" + KvrelayVersion.current());
                c.path("ports").forEach(port -> portNames.add(port.path("name").asText()));
                assertThat(c.path("livenessProbe").path("httpGet").path("path").asText()).isEqualTo("/livez");
                assertThat(c.path("readinessProbe").path("httpGet").path("path").asText()).isEqualTo("/readyz");
                assertThat(portNames).as("probe ports of %s", w.getKey())
                        .contains(c.path("livenessProbe").path("httpGet").path("port").asText(),
                                c.path("readinessProbe").path("httpGet").path("port").asText());
                for (JsonNode env : c.path("env")) {
                    JsonNode ref = env.path("valueFrom").path("secretKeyRef");
                    if (!ref.isMissingNode()) {
                        assertThat(secrets).as("Secret %s of %s", ref.path("name").asText(), w.getKey())
                                .contains(ref.path("name").asText());
                    }
                }
            }
            for (JsonNode v : spec.path("volumes")) {
                if (v.has("configMap")) {
                    String cm = v.path("configMap").path("name").asText();
                    assertThat(configMaps).as("ConfigMap %s of %s", cm, w.getKey()).containsKey(cm);
                    checkConfiguration(w.getKey(), configMaps.get(cm).path("data"));
                }
            }
            portsOf.put(w.getKey(), portNames);
        }
        for (JsonNode d : docs) {
            if (!d.path("kind").asText().equals("Service")) {
                continue;
            }
            String app = d.path("spec").path("selector").path("app.kubernetes.io/name").asText();
            Set<String> names = portsOf.get(app);
            assertThat(names).as("the workload Service %s selects", d.path("metadata").path("name").asText())
                    .isNotNull();
            d.path("spec").path("ports").forEach(port -> assertThat(names).as("port of Service %s",
                    d.path("metadata").path("name").asText()).contains(port.path("targetPort").asText()));
        }
    }

    /** The persistent-state overlay: stream-app's stores in RocksDB on a claim per replica instead of an emptyDir. */
    @Test
    void thePersistentStateOverlayGivesEachStreamReplicaAVolumeClaim() throws Exception {
        List<JsonNode> docs = render("overlays/persistent-state");
        JsonNode sts = docs.stream().filter(d -> d.path("kind").asText().equals("StatefulSet")).findFirst()
                .orElseThrow();
        assertThat(sts.path("spec").path("volumeClaimTemplates").get(0).path("metadata").path("name").asText())
                .isEqualTo("state");
        assertThat(sts.path("spec").path("template").path("spec").path("volumes").toString())
                .doesNotContain("\"state\"");
        String cm = sts.path("spec").path("template").path("spec").path("volumes").get(0).path("configMap")
                .path("name").asText();
        JsonNode data = docs.stream().filter(d -> d.path("metadata").path("name").asText().equals(cm)).findFirst()
                .orElseThrow().path("data");
        StreamAppConfig c = new ObjectMapper().readValue(data.path("stream.json").asText(), StreamAppConfig.class);
        assertThat(c.persistentState()).isTrue();
        assertThat(c.stateDir().toString()).isEqualTo("/var/lib/kvrelay/state");
    }

    /** {@code kubectl kustomize} of an overlay, on a copy of deploy/k8s with the example's token file made. */
    private List<JsonNode> render(String overlay) throws Exception {
        RequiredTools.require("kubectl", "apt-get install kubectl");
        Path k8s = dir.resolve("k8s");
        copy(ROOT.resolve("deploy/k8s"), k8s);
        Files.writeString(k8s.resolve("overlays/example/admin-token"), "not-a-real-token");
        Process p = new ProcessBuilder("kubectl", "kustomize", k8s.resolve(overlay).toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String yaml = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("kubectl kustomize " + overlay).isZero();
        List<JsonNode> docs = new ArrayList<>();
        try (var it = new YAMLMapper().readerFor(JsonNode.class).readValues(yaml)) {
            while (it.hasNext()) {
                JsonNode d = (JsonNode) it.next();
                if (d != null && !d.isEmpty()) {
                    docs.add(d);
                }
            }
        }
        return docs;
    }

    /** The README's line, as written, from the repository's root: the count it says. */
    @Test
    void theReadmesCommandPrintsWhatTheReadmeSays() throws Exception {
        RequiredTools.require("kubectl", "apt-get install kubectl");
        String readme = Files.readString(ROOT.resolve("README.md"));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\n(kubectl kustomize deploy/k8s/base [^\n#]+?)"
                + "\\s+# (\\d+) objects\n").matcher(readme);
        assertThat(m.find()).as("the README's kustomize line").isTrue();
        Process p = new ProcessBuilder("bash", "-c", m.group(1)).directory(ROOT.toFile())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(out).isEqualTo(m.group(2));
    }

    /** The ConfigMap's file read as its part reads its --config file. */
    private static void checkConfiguration(String workload, JsonNode data) throws Exception {
        ObjectMapper json = new ObjectMapper();
        switch (workload) {
            case "kvrelay-bridge" -> {
                BridgeConfig c = ConfigLoader.parse(data.path("bridge.json").asText(), BridgeConfig.class);
                assertThat(c.admin().port()).isEqualTo(8081);
                assertThat(c.fleet().enabled()).as("two replicas share the fleet").isTrue();
                assertThat(c.discovery().kubernetes().enabled()).isTrue();
            }
            case "kvrelay-stream-app" -> {
                StreamAppConfig c = json.readValue(data.path("stream.json").asText(), StreamAppConfig.class);
                assertThat(c.httpPort()).isEqualTo(8090);
                assertThat(c.standbyReplicas()).as("a warm copy of each store on the other replica").isEqualTo(1);
            }
            case "kvrelay-router" -> assertThat(json.readValue(data.path("router.json").asText(),
                    RouterConfig.class).httpPort()).isEqualTo(8080);
            default -> throw new AssertionError("no check for " + workload);
        }
    }

    private static void copy(Path from, Path to) throws Exception {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : files.toList()) {
                Path target = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else if (!f.getFileName().toString().equals("admin-token")) {
                    Files.copy(f, target);
                }
            }
        }
    }
}
