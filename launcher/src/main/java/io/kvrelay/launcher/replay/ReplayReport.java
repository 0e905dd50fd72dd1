package io.kvrelay.launcher.replay;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.kvrelay.schemas.avro.AllBlocksCleared;
import io.kvrelay.schemas.avro.BlockRemoved;
import io.kvrelay.schemas.avro.BlockStored;
import io.kvrelay.schemas.avro.KvEventBatch;
import io.kvrelay.schemas.avro.WorkerReset;
import io.kvrelay.stream.index.PrefixIndex;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a replay found, per pod: blocks stored and removed, clears, resets by reason, and the blocks each pod held at
 * every sample instant (from the rebuilt index itself, so the figures are the state stream-app would have had).
 * Writes {@code replay.json} (totals, per pod, samples) and {@code blocks-held.csv} (one row per sample and pod).
 */
final class ReplayReport {
    /** Per pod counters. */
    static final class PodStats {
        long batches;
        long blocksStored;
        long blocksRemoved;
        long clears;
        final Map<String, Long> resets = new TreeMap<>();

        public long getBatches() {
            return batches;
        }

        public long getBlocksStored() {
            return blocksStored;
        }

        public long getBlocksRemoved() {
            return blocksRemoved;
        }

        public long getClears() {
            return clears;
        }

        public Map<String, Long> getResets() {
            return resets;
        }
    }

    /** The state at one instant: blocks held per pod, and how many workers share each key on average. */
    record Sample(String at, Map<String, Long> blocksHeld, double holdersPerKey) {
    }

    private final Map<String, PodStats> pods = new TreeMap<>();
    private final List<Sample> samples = new ArrayList<>();
    private long undecodable;

    void batch(KvEventBatch b) {
        PodStats s = pods.computeIfAbsent(podOf(b), k -> new PodStats());
        s.batches++;
        for (Object e : b.getEvents()) {
            if (e instanceof BlockStored st) {
                s.blocksStored += st.getBlockHashes().size();
            } else if (e instanceof BlockRemoved r) {
                s.blocksRemoved += r.getBlockHashes().size();
            } else if (e instanceof AllBlocksCleared) {
                s.clears++;
            } else if (e instanceof WorkerReset reset) {
                s.resets.merge(reset.getReason().name(), 1L, Long::sum);
            }
        }
    }

    void undecodable() {
        undecodable++;
    }

    /** Samples the rebuilt state: blocks held per pod (over its DP ranks). */
    void sample(Instant at, PrefixIndex index) {
        Map<String, Long> held = new TreeMap<>();
        for (String worker : index.workers()) {
            int id = index.findWorker(worker);
            held.merge(podOfWorker(worker), (long) index.blockCount(id), Long::sum);
        }
        int keys = index.keyCount();
        samples.add(new Sample(at.toString(), held, keys == 0 ? 0 : (double) index.entryCount() / keys));
    }

    void write(Path dir, Map<String, Object> run) throws IOException {
        Files.createDirectories(dir);
        Map<String, Object> json = new LinkedHashMap<>(run);
        json.put("undecodableRecords", undecodable);
        json.put("pods", pods);
        json.put("samples", samples);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve("replay.json").toFile(), json);
        try (Writer w = Files.newBufferedWriter(dir.resolve("blocks-held.csv"), StandardCharsets.UTF_8)) {
            w.write("time,pod,blocks_held\n");
            for (Sample s : samples) {
                for (var e : s.blocksHeld().entrySet()) {
                    w.write(s.at() + "," + e.getKey() + "," + e.getValue() + "\n");
                }
            }
        }
    }

    Map<String, PodStats> pods() {
        return pods;
    }

    List<Sample> samples() {
        return samples;
    }

    private static String podOf(KvEventBatch b) {
        return b.getNamespace() + "/" + b.getService() + "/" + b.getPod();
    }

    /** Worker keys are "namespace/service/pod" + a rank suffix (WorkerKeys): the pod is everything before it. */
    private static String podOfWorker(String worker) {
        return io.kvrelay.stream.topology.WorkerKeys.podOf(worker);
    }
}
