package io.kvrelay.stream.topology;

import io.kvrelay.stream.index.PrefixIndex;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/** Every (worker, engine hash, block key, tiers) entry of an index, comparable with equals. */
record IndexSnapshot(Map<String, Set<String>> entries) {
    static IndexSnapshot of(PrefixIndex index) {
        Map<String, Set<String>> out = new HashMap<>();
        for (String w : index.workers()) {
            Set<String> es = new HashSet<>();
            index.forEach(index.findWorker(w), (h, k, t) -> es.add(h + ":" + k + ":" + t));
            if (!es.isEmpty()) {
                out.put(w, es);
            }
        }
        return new IndexSnapshot(out);
    }
}
