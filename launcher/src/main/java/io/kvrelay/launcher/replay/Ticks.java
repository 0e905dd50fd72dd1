package io.kvrelay.launcher.replay;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/** Where an axis puts its ticks (round numbers, round times of day) and how it labels them. */
final class Ticks {
    /** Time steps a time axis may use, in ms: whole seconds, minutes, hours, days. */
    private static final long[] TIME_STEPS = {1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000,
            600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000,
            172_800_000, 604_800_000};
    private static final DateTimeFormatter SECONDS = DateTimeFormatter.ofPattern("HH:mm:ss", Locale.ROOT)
            .withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter MINUTES = DateTimeFormatter.ofPattern("HH:mm", Locale.ROOT)
            .withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter DAYS = DateTimeFormatter.ofPattern("MM-dd HH:mm", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    private Ticks() {
    }

    /**
     * About {@code target} round values (1, 2, 2.5 or 5 times a power of ten apart) from at or below {@code min} to at
     * or above {@code max}; the axis then spans exactly the first to the last.
     */
    static double[] nice(double min, double max, int target) {
        if (!(max > min)) {
            max = min + (min == 0 ? 1 : Math.abs(min));
        }
        double raw = (max - min) / Math.max(1, target);
        double mag = Math.pow(10, Math.floor(Math.log10(raw)));
        double norm = raw / mag;
        double step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 2.5 ? 2.5 : norm <= 5 ? 5 : 10) * mag;
        long lo = (long) Math.floor(min / step + 1e-9);
        long hi = (long) Math.ceil(max / step - 1e-9);
        double[] out = new double[(int) (hi - lo) + 1];
        for (int i = 0; i < out.length; i++) {
            out[i] = (lo + i) * step;
        }
        return out;
    }

    /** Round instants (epoch ms) inside [minMs, maxMs], at most about {@code target} of them. */
    static double[] time(double minMs, double maxMs, int target) {
        long step = TIME_STEPS[TIME_STEPS.length - 1];
        for (long s : TIME_STEPS) {
            if ((maxMs - minMs) / s <= target) {
                step = s;
                break;
            }
        }
        long first = (long) Math.ceil(minMs / step) * step;
        int n = first > maxMs ? 0 : (int) ((maxMs - first) / step) + 1;
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = first + (double) i * step;
        }
        return out;
    }

    /** A tick's label on a time axis (UTC): seconds shown only when the ticks are less than a minute apart. */
    static String timeLabel(double ms, double[] ticks) {
        double step = ticks.length > 1 ? ticks[1] - ticks[0] : 1_000;
        double span = ticks.length > 1 ? ticks[ticks.length - 1] - ticks[0] : 0;
        DateTimeFormatter f = span >= 86_400_000 ? DAYS : step < 60_000 ? SECONDS : MINUTES;
        return f.format(Instant.ofEpochMilli((long) ms));
    }

    /** A value for a tick or a bar: 1.5k, 2.3M, 12.5, 0.25, never more than three significant decimals. */
    static String number(double v) {
        double a = Math.abs(v);
        if (a >= 1e6) {
            return trim(String.format(Locale.ROOT, "%.1f", v / 1e6)) + "M";
        }
        if (a >= 1e4) {
            return trim(String.format(Locale.ROOT, "%.1f", v / 1e3)) + "k";
        }
        if (a >= 100 || v == Math.rint(v)) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        return trim(String.format(Locale.ROOT, a >= 10 ? "%.1f" : "%.2f", v));
    }

    /** A share 0..1 as a percentage: 69.4%, 100%. */
    static String percent(double share) {
        return trim(String.format(Locale.ROOT, "%.1f", 100 * share)) + "%";
    }

    /** A duration in ms, in the unit that reads best: 250 ms, 1.5 s, 4 min, 2.5 h. */
    static String duration(double ms) {
        if (ms < 1_000) {
            return number(ms) + " ms";
        }
        if (ms < 60_000) {
            return number(ms / 1_000) + " s";
        }
        if (ms < 3_600_000) {
            return number(ms / 60_000) + " min";
        }
        return number(ms / 3_600_000) + " h";
    }

    private static String trim(String s) {
        return s.contains(".") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
    }
}
