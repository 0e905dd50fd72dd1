package io.kvrelay.policies;

import java.util.Arrays;
import java.util.Collection;

/** Nearest-rank percentiles (the smallest value with at least p of the values at or below it); NaN when empty. */
public final class Percentile {
    private Percentile() {
    }

    public static double of(double[] values, double p) {
        if (!(p > 0 && p <= 1)) {
            throw new IllegalArgumentException("p must be in (0, 1], got " + p);
        }
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[Math.max(0, (int) Math.ceil(p * sorted.length) - 1)];
    }

    public static double of(Collection<Double> values, double p) {
        return of(values.stream().mapToDouble(Double::doubleValue).toArray(), p);
    }
}
