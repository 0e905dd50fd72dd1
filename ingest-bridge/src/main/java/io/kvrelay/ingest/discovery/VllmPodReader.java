package io.kvrelay.ingest.discovery;

import com.fasterxml.jackson.databind.JsonNode;
import io.kvrelay.ingest.catalog.DesiredPod;
import io.kvrelay.ingest.catalog.PodSource;
import io.kvrelay.ingest.config.ConfigLoader;
import io.kvrelay.ingest.config.PodConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a vLLM pod's subscription ({@link PodConfig}) from the Kubernetes pod: annotations first (an operator's word
 * wins), else the vLLM container's own arguments, else vLLM's defaults.
 *
 * <table>
 *   <caption>Where each setting comes from</caption>
 *   <tr><th>setting</th><th>annotation ({@value KubernetesConfig#ANNOTATION_PREFIX}...)</th><th>else</th></tr>
 *   <tr><td>service</td><td>service</td><td>the {@code serviceLabel} label</td></tr>
 *   <tr><td>index</td><td>-</td><td>label {@code apps.kubernetes.io/pod-index}, else a StatefulSet pod's
 *       ordinal</td></tr>
 *   <tr><td>KV-event port</td><td>kv-events-port</td><td>{@code --kv-events-config}'s {@code endpoint}</td></tr>
 *   <tr><td>replay port</td><td>replay-port</td><td>its {@code replay_endpoint} (none: no replay)</td></tr>
 *   <tr><td>topic</td><td>topic</td><td>its {@code topic} ("")</td></tr>
 *   <tr><td>DP ranks</td><td>dp-size</td><td>{@code --data-parallel-size-local}, {@code --data-parallel-size} /
 *       {@code -dp} (1)</td></tr>
 *   <tr><td>serving port</td><td>serving-port</td><td>{@code --port} (8000)</td></tr>
 *   <tr><td>model</td><td>model</td><td>{@code --served-model-name}, {@code --model},
 *       {@code vllm serve MODEL}</td></tr>
 *   <tr><td>metrics path</td><td>metrics-path</td><td>{@code /metrics}</td></tr>
 * </table>
 *
 * <p>Pure: the same facts give the same answer.
 */
public final class VllmPodReader {
    static final String POD_INDEX_LABEL = "apps.kubernetes.io/pod-index";
    private static final int VLLM_DEFAULT_PORT = 8000;
    private static final Set<String> SHELLS = Set.of("sh", "bash", "dash", "ash", "zsh");
    private static final Pattern TCP_PORT = Pattern.compile("^tcp://(?:\\[[^]]*]|[^:/]*):(\\d+)$");

    private final KubernetesConfig config;

    public VllmPodReader(KubernetesConfig config) {
        this.config = config;
    }

    /** A pod read, or why it cannot be subscribed to (then {@code pod} is null). */
    public record Reading(DesiredPod pod, String problem) {
        static Reading problem(String why) {
            return new Reading(null, why);
        }
    }

    public Reading read(PodFacts f) {
        if (f.podIp() == null || f.podIp().isBlank()) {
            return Reading.problem("no pod IP yet");
        }
        Map<String, String> ann = f.annotations();
        String service = annotation(ann, "service");
        if (service == null) {
            service = f.labels().get(config.serviceLabel());
        }
        if (service == null || service.isBlank()) {
            return Reading.problem("no service: annotate it " + KubernetesConfig.ANNOTATION_PREFIX + "service or label"
                    + " it " + config.serviceLabel());
        }
        Args args = Args.of(container(f));
        try {
            JsonNode events = args.kvEventsConfig();
            if (events != null && events.has("enable_kv_cache_events")
                    && !events.get("enable_kv_cache_events").asBoolean()) {
                return Reading.problem("--kv-events-config has enable_kv_cache_events false");
            }
            Integer pubPort = intAnnotation(ann, "kv-events-port");
            if (pubPort == null && events != null) {
                pubPort = tcpPort("endpoint", events.path("endpoint").asText("tcp://*:5557"));
            }
            if (pubPort == null) {
                return Reading.problem("no KV-event port: no " + KubernetesConfig.ANNOTATION_PREFIX
                        + "kv-events-port annotation and no --kv-events-config argument");
            }
            Integer replayPort = intAnnotation(ann, "replay-port");
            if (replayPort == null && events != null && events.hasNonNull("replay_endpoint")) {
                replayPort = tcpPort("replay_endpoint", events.get("replay_endpoint").asText());
            }
            String topic = annotation(ann, "topic");
            if (topic == null && events != null) {
                topic = events.path("topic").asText("");
            }
            Integer dp = intAnnotation(ann, "dp-size");
            if (dp == null) {
                dp = args.intFlag("--data-parallel-size-local", "-dpl");
            }
            if (dp == null) {
                dp = args.intFlag("--data-parallel-size", "-dp");
            }
            Integer serving = intAnnotation(ann, "serving-port");
            if (serving == null) {
                serving = args.intFlag("--port");
            }
            String model = annotation(ann, "model");
            if (model == null) {
                model = args.model();
            }
            PodConfig pod = new PodConfig(f.namespace(), service, f.name(), index(f), f.podIp(), pubPort, replayPort,
                    dp == null ? 1 : dp, model, topic, serving == null ? VLLM_DEFAULT_PORT : serving,
                    annotation(ann, "metrics-path"));
            return new Reading(new DesiredPod(pod, PodSource.KUBERNETES, f.uid()), null);
        } catch (IllegalArgumentException e) {
            return Reading.problem(e.getMessage());
        }
    }

    private PodFacts.Container container(PodFacts f) {
        for (PodFacts.Container c : f.containers()) {
            boolean chosen = config.container() != null ? c.name().equals(config.container())
                    : Args.of(c).has("--kv-events-config");
            if (chosen) {
                return c;
            }
        }
        return config.container() == null && !f.containers().isEmpty() ? f.containers().get(0) : null;
    }

    private static Integer index(PodFacts f) {
        String label = f.labels().get(POD_INDEX_LABEL);
        if (label != null && label.matches("\\d{1,9}")) {
            return Integer.parseInt(label);
        }
        if ("StatefulSet".equals(f.ownerKind()) && f.ownerName() != null
                && f.name().startsWith(f.ownerName() + "-")) {
            String ordinal = f.name().substring(f.ownerName().length() + 1);
            if (ordinal.matches("\\d{1,9}")) {
                return Integer.parseInt(ordinal);
            }
        }
        return null;
    }

    private static String annotation(Map<String, String> ann, String name) {
        String v = ann.get(KubernetesConfig.ANNOTATION_PREFIX + name);
        return v == null || v.isBlank() ? null : v.trim();
    }

    private static Integer intAnnotation(Map<String, String> ann, String name) {
        String v = annotation(ann, name);
        if (v == null) {
            return null;
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("annotation " + KubernetesConfig.ANNOTATION_PREFIX + name
                    + " is not a number: '" + v + "'");
        }
    }

    /** The port of a tcp:// endpoint; vLLM binds ipc:// and inproc:// ones inside the pod, out of a bridge's reach. */
    private static int tcpPort(String field, String endpoint) {
        Matcher m = TCP_PORT.matcher(endpoint.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("--kv-events-config " + field + " '" + endpoint + "' is not a tcp://"
                    + "host:port endpoint a bridge can reach");
        }
        return Integer.parseInt(m.group(1));
    }

    /** The vLLM container's words: command then args, with a {@code sh -c "..."} script split into its own. */
    private record Args(List<String> words) {
        static Args of(PodFacts.Container c) {
            List<String> words = new ArrayList<>();
            if (c == null) {
                return new Args(words);
            }
            List<String> all = new ArrayList<>(c.command());
            all.addAll(c.args());
            for (int i = 0; i < all.size(); i++) {
                String w = all.get(i);
                String base = w.substring(w.lastIndexOf('/') + 1);
                if (SHELLS.contains(base) && i + 2 < all.size() && all.get(i + 1).equals("-c")) {
                    words.addAll(ShellWords.split(all.get(i + 2)));
                    i += 2;
                } else {
                    words.add(w);
                }
            }
            return new Args(words);
        }

        boolean has(String flag) {
            return value(flag) != null;
        }

        /** The value of {@code --flag value} or {@code --flag=value} (the last one, as argparse takes it). */
        String value(String... flags) {
            String out = null;
            for (int i = 0; i < words.size(); i++) {
                for (String flag : flags) {
                    String w = words.get(i);
                    if (w.equals(flag) && i + 1 < words.size()) {
                        out = words.get(i + 1);
                    } else if (w.startsWith(flag + "=")) {
                        out = w.substring(flag.length() + 1);
                    }
                }
            }
            return out;
        }

        Integer intFlag(String... flags) {
            String v = value(flags);
            if (v == null) {
                return null;
            }
            try {
                return Integer.parseInt(v.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(flags[0] + " is not a number: '" + v + "'");
            }
        }

        JsonNode kvEventsConfig() {
            String v = value("--kv-events-config");
            if (v == null) {
                return null;
            }
            try {
                JsonNode n = ConfigLoader.json().readTree(v);
                if (n == null || !n.isObject()) {
                    throw new IllegalArgumentException("--kv-events-config is not a JSON object: '" + v + "'");
                }
                return n;
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalArgumentException("--kv-events-config is not JSON: " + e.getOriginalMessage());
            }
        }

        String model() {
            String served = value("--served-model-name");
            if (served != null) {
                return served;
            }
            String model = value("--model");
            if (model != null) {
                return model;
            }
            int serve = words.indexOf("serve");
            if (serve >= 0 && serve + 1 < words.size() && !words.get(serve + 1).startsWith("-")) {
                return words.get(serve + 1);
            }
            return null;
        }
    }
}
