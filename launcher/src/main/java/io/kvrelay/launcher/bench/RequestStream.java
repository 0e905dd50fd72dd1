package io.kvrelay.launcher.bench;

import io.kvrelay.sim.WorkloadGenerator;
import java.util.ArrayList;
import java.util.List;

/**
 * Generates the request stream once: one seeded {@link WorkloadGenerator} per service (seed + service index, as the
 * demo does), services taken in turn, arrivals evenly spaced at the spec's rate. Every policy replays this list.
 */
public final class RequestStream {
    private RequestStream() {
    }

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
}
