package io.kvrelay.launcher.replay;

import io.kvrelay.schemas.BlockKeyHex;
import io.kvrelay.stream.index.PrefixIndex;
import io.kvrelay.stream.index.Tier;
import io.kvrelay.stream.topology.WorkerKeys;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;

/**
 * {@code --dump-state}: every worker's cache at the window's end, one row per (worker, block): {@code state.csv}
 * with the pod, its DP rank, vLLM's engine hash and kvrelay's block key (both 16 hex digits) and the tiers holding it.
 * With {@code --to}, that is the state at any instant or offset of the log.
 */
final class StateDump {
    private StateDump() {
    }

    /** Returns the rows written. */
    static long write(Path dir, PrefixIndex index) throws IOException {
        Files.createDirectories(dir);
        long[] rows = {0};
        List<String> workers = List.copyOf(new TreeSet<>(index.workers()));
        try (Writer w = Files.newBufferedWriter(dir.resolve("state.csv"), StandardCharsets.UTF_8)) {
            w.write("pod,dp_rank,engine_hash,block_key,tiers\n");
            for (String worker : workers) {
                String prefix = WorkerKeys.podOf(worker) + "," + WorkerKeys.rankOf(worker) + ",";
                index.forEach(index.findWorker(worker), (engineHash, key, tiers) -> {
                    try {
                        w.write(prefix + BlockKeyHex.of(engineHash) + "," + BlockKeyHex.of(key) + ","
                                + Tier.names(tiers).replace(',', '+') + "\n");
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                    rows[0]++;
                });
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return rows[0];
    }
}
