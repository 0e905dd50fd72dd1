package io.kvrelay.launcher.bench;

import io.kvrelay.launcher.bench.trace.TraceInput;
import io.kvrelay.launcher.bench.trace.TraceRecord;
import io.kvrelay.launcher.bench.trace.TraceTokens;
import io.kvrelay.sim.WorkloadGenerator;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The request stream, made once and replayed by every policy: generated (the chat workload) or read from a trace.
 */
public final class RequestStream {
    private RequestStream() {
    }

    /** The trace's requests when there is one, otherwise the generated workload. */
    public static List<BenchRequest> of(WorkloadSpec spec, TraceInput trace) {
        return trace == null ? generate(spec) : fromTrace(trace.records(), spec.services(), trace.timeScale());
    }

    /**
     * One seeded {@link WorkloadGenerator} per service (seed + service index, as the demo does), services taken in
     * turn, arrivals evenly spaced at the spec's rate.
     */
    public static List<BenchRequest> generate(WorkloadSpec spec) {
        List<WorkloadGenerator> generators = new ArrayList<>();
        for (int i = 0; i < spec.services().size(); i++) {
            generators.add(new WorkloadGenerator(spec.generatorSettings(), spec.seed() + i));
        }
        int n = spec.requestCount();
        double gapMs = 1_000.0 / spec.rate();
        List<BenchRequest> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int s = i % spec.services().size();
            String service = spec.services().get(s);
            WorkloadGenerator.Request r = generators.get(s).next();
            out.add(new BenchRequest(i, service, service + "-user-" + r.conversation(), r.tokens(), r.lora(),
                    r.turn(), i * gapMs, spec.outputTokens()));
        }
        return List.copyOf(out);
    }

    /**
     * A trace's records in arrival order (a stable sort: the runs decide in arrival order, and a trace merged from
     * several sources may not be sorted), services taken in turn, arrival = timestamp × {@code timeScale}. A record's
     * session is its user, so sticky links follow conversations; without one there is no user. The turn is how many
     * earlier requests the session had.
     */
    public static List<BenchRequest> fromTrace(List<TraceRecord> records, List<String> services, double timeScale) {
        List<TraceRecord> sorted = new ArrayList<>(records);
        sorted.sort(Comparator.comparingDouble(TraceRecord::timestampMs));
        Map<String, Integer> turns = new HashMap<>();
        List<BenchRequest> out = new ArrayList<>(sorted.size());
        for (int i = 0; i < sorted.size(); i++) {
            TraceRecord r = sorted.get(i);
            String service = services.get(i % services.size());
            String user = r.sessionId();
            int turn = user == null ? 0 : turns.merge(service + '\u0000' + user, 1, Integer::sum) - 1;
            out.add(new BenchRequest(i, service, user, TraceTokens.tokens(r, i), null, turn,
                    r.timestampMs() * timeScale, r.outputLength()));
        }
        return List.copyOf(out);
    }
}
