package io.kvrelay.launcher.bench;

import io.kvrelay.policies.Percentile;
import java.util.ArrayList;
import java.util.List;

/**
 * Load imbalance from what was served: every {@code sampleMs} of the run (from the first to the last arrival) the
 * requests in flight on each pod are counted (arrived, not finished), and for each service with any load the ratio
 * max ÷ mean across its pods is taken (a policy only ever chooses within a service). Reported: the mean and p99 of
 * those ratios over all samples and services, and the ratio of the time-averaged loads (max ÷ mean of each pod's
 * average in-flight count), which ignores momentary bursts.
 */
public final class LoadImbalance {
    private LoadImbalance() {
    }

    /** @param samples how many (instant, service) ratios were taken */
    public record Result(double meanOfSamples, double p99OfSamples, double ofTimeAverages, int samples) {
    }

    public static Result measure(List<Served> served, int[] serviceOfPod, double sampleMs) {
        if (!(sampleMs > 0)) {
            throw new IllegalArgumentException("sampleMs must be > 0, got " + sampleMs);
        }
        int services = 0;
        for (int s : serviceOfPod) {
            services = Math.max(services, s + 1);
        }
        double start = served.stream().mapToDouble(Served::arrivalMs).min().orElse(0);
        double end = served.stream().mapToDouble(Served::arrivalMs).max().orElse(0);
        List<Double> ratios = new ArrayList<>();
        double[] loadSum = new double[serviceOfPod.length];
        int instants = 0;
        for (double t = start + sampleMs / 2; t <= end; t += sampleMs, instants++) {
            int[] load = new int[serviceOfPod.length];
            for (Served s : served) {
                if (s.arrivalMs() <= t && t < s.finishMs()) {
                    load[s.pod()]++;
                }
            }
            for (int p = 0; p < load.length; p++) {
                loadSum[p] += load[p];
            }
            for (int svc = 0; svc < services; svc++) {
                double r = maxOverMean(load, serviceOfPod, svc);
                if (!Double.isNaN(r)) {
                    ratios.add(r);
                }
            }
        }
        double mean = ratios.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
        double overall = Double.NaN;
        if (instants > 0) {
            List<Double> perService = new ArrayList<>();
            for (int svc = 0; svc < services; svc++) {
                double r = maxOverMean(loadSum, serviceOfPod, svc);
                if (!Double.isNaN(r)) {
                    perService.add(r);
                }
            }
            overall = perService.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
        }
        return new Result(mean, Percentile.of(ratios, 0.99), overall, ratios.size());
    }

    private static double maxOverMean(int[] load, int[] serviceOfPod, int svc) {
        double[] d = new double[load.length];
        for (int i = 0; i < load.length; i++) {
            d[i] = load[i];
        }
        return maxOverMean(d, serviceOfPod, svc);
    }

    /** max ÷ mean over the pods of one service; NaN when the service has no load. */
    static double maxOverMean(double[] load, int[] serviceOfPod, int svc) {
        double max = 0;
        double sum = 0;
        int n = 0;
        for (int p = 0; p < load.length; p++) {
            if (serviceOfPod[p] == svc) {
                max = Math.max(max, load[p]);
                sum += load[p];
                n++;
            }
        }
        return sum == 0 ? Double.NaN : max / (sum / n);
    }
}
