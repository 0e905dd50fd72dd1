package io.kvrelay.policies.whatif;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The requests every policy replays, and the fleet they run on, worked out once: the decisions that can be replayed
 * (a candidate and a chosen pod), in time order; every pod named in them, indexed by service then pod name (fleet
 * order); and each request's candidates (recorded candidates plus the chosen pod) as fleet indexes in fleet order.
 * Immutable.
 */
final class ReplayPlan {
    final List<RecordedRequest> requests;
    final int[][] candidates;
    /** Fleet index → {@code namespace/service/pod}. */
    final List<String> podIds;
    final List<String> podNames;
    final int skipped;
    final long startMs;

    private ReplayPlan(List<RecordedRequest> requests, int[][] candidates, List<String> podIds, List<String> podNames,
                       int skipped) {
        this.requests = requests;
        this.candidates = candidates;
        this.podIds = podIds;
        this.podNames = podNames;
        this.skipped = skipped;
        this.startMs = requests.isEmpty() ? 0 : requests.get(0).atMs();
    }

    static ReplayPlan of(List<RecordedRequest> recorded) {
        List<RecordedRequest> kept = new ArrayList<>(recorded.size());
        Map<String, TreeSet<String>> podsByService = new TreeMap<>();
        for (RecordedRequest r : recorded) {
            if (r.chosenPod() == null || r.candidates().isEmpty()) {
                continue;
            }
            kept.add(r);
            TreeSet<String> pods = podsByService.computeIfAbsent(r.service(), s -> new TreeSet<>());
            pods.addAll(r.candidates());
            pods.add(r.chosenPod());
        }
        kept.sort(Comparator.comparingLong(RecordedRequest::atMs)); // stable: equal instants keep the log's order
        List<String> podIds = new ArrayList<>();
        List<String> podNames = new ArrayList<>();
        Map<String, Map<String, Integer>> index = new TreeMap<>();
        podsByService.forEach((service, pods) -> {
            Map<String, Integer> byName = new TreeMap<>();
            for (String pod : pods) {
                byName.put(pod, podIds.size());
                podIds.add(service + "/" + pod);
                podNames.add(pod);
            }
            index.put(service, byName);
        });
        int[][] candidates = new int[kept.size()][];
        for (int i = 0; i < candidates.length; i++) {
            RecordedRequest r = kept.get(i);
            Map<String, Integer> byName = index.get(r.service());
            TreeSet<String> names = new TreeSet<>(r.candidates());
            names.add(r.chosenPod());
            candidates[i] = names.stream().mapToInt(byName::get).toArray(); // sorted by name = fleet order
        }
        return new ReplayPlan(List.copyOf(kept), candidates, List.copyOf(podIds), List.copyOf(podNames),
                recorded.size() - kept.size());
    }

    int pods() {
        return podIds.size();
    }
}
