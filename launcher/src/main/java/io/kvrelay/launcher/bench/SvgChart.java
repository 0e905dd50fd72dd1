package io.kvrelay.launcher.bench;

import java.util.List;
import java.util.Locale;

/**
 * A dependency-free SVG of the results: three panels of bars per policy (KV-cache hit rate, load imbalance with its
 * target where there is one, TTFT mean and p99). Plain SVG 1.1 so GitHub renders it inline.
 */
public final class SvgChart {
    private static final int PANEL_W = 300;
    private static final int PANEL_H = 260;
    private static final int TOP = 40;
    private static final int BOTTOM = 60;
    private static final String[] COLORS = {"#2b6cb0", "#dd6b20", "#718096", "#38a169", "#805ad5", "#d53f8c",
        "#319795", "#b7791f", "#4a5568"};

    private SvgChart() {
    }

    /** @param imbalanceTarget the load-imbalance target drawn as a line, NaN for none */
    public static String render(List<PolicyResult> results, String title, double imbalanceTarget) {
        int width = PANEL_W * 3;
        int height = TOP + PANEL_H + BOTTOM;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"11\">%n", width, height, width, height));
        sb.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", width, height));
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"18\" text-anchor=\"middle\" font-size=\"14\" "
                + "font-weight=\"bold\">%s</text>%n", width / 2, escape(title)));
        int n = results.size();
        double[] hit = new double[n];
        double[] imb = new double[n];
        double[] mean = new double[n];
        double[] p99 = new double[n];
        String[] names = new String[n];
        for (int i = 0; i < n; i++) {
            PolicyResult r = results.get(i);
            names[i] = r.policy();
            hit[i] = 100 * r.hitRate();
            imb[i] = r.imbalance().meanOfSamples();
            mean[i] = r.ttftMeanMs();
            p99[i] = r.ttftP99Ms();
        }
        // Scaled to the best hit rate, not to 100%: a 20% trace would otherwise show five flat bars.
        panel(sb, 0, "KV-cache hit rate (%)", names, new double[][] {hit},
                Math.min(100, Math.ceil(max(hit) * 1.25 / 10) * 10), Double.NaN, "%.1f");
        panel(sb, PANEL_W, "load imbalance, max/mean in flight", names, new double[][] {imb},
                Math.max(1.6, max(imb) * 1.1), imbalanceTarget, "%.2f");
        // Seconds once the tail is long: four-digit labels over adjacent bars overlap.
        boolean seconds = max(p99) >= 2_000;
        double unit = seconds ? 1_000 : 1;
        panel(sb, 2 * PANEL_W, seconds ? "TTFT s (light mean, dark p99)" : "TTFT ms (light mean, dark p99)", names,
                new double[][] {scale(mean, unit), scale(p99, unit)}, Math.max(1, max(p99) / unit * 1.1), Double.NaN,
                seconds ? "%.1f" : "%.0f");
        sb.append("</svg>\n");
        return sb.toString();
    }

    private static void panel(StringBuilder sb, int x0, String title, String[] names, double[][] series, double max,
                              double targetLine, String fmt) {
        int left = x0 + 40;
        int plotW = PANEL_W - 55;
        int base = TOP + PANEL_H - 20;
        int plotH = PANEL_H - 40;
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-weight=\"bold\">"
                + "%s</text>%n", x0 + PANEL_W / 2, TOP + 6, escape(title)));
        sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n",
                left, base, left + plotW, base));
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>%n", left - 4,
                base - plotH + 4, String.format(Locale.ROOT, fmt, max)));
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>%n", left - 4, base));
        double slot = (double) plotW / names.length;
        double barW = slot * 0.7 / series.length;
        for (int i = 0; i < names.length; i++) {
            for (int s = 0; s < series.length; s++) {
                double v = Double.isNaN(series[s][i]) ? 0 : series[s][i];
                double h = Math.min(plotH, plotH * v / max);
                double x = left + i * slot + slot * 0.15 + s * barW;
                String opacity = series.length > 1 && s == 0 ? "0.45" : "1";
                sb.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                                + "fill=\"%s\" fill-opacity=\"%s\"/>%n", x, base - h, barW, h,
                        COLORS[i % COLORS.length], opacity));
                sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
                        + "font-size=\"9\">%s</text>%n", x + barW / 2, base - h - 3,
                        String.format(Locale.ROOT, fmt, series[s][i])));
            }
            double cx = left + i * slot + slot / 2;
            sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"end\" "
                    + "transform=\"rotate(-35 %.1f %d)\">%s</text>%n", cx, base + 14, cx, base + 14,
                    escape(names[i])));
        }
        if (!Double.isNaN(targetLine)) {
            double y = base - plotH * targetLine / max;
            sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"red\" "
                    + "stroke-dasharray=\"4 3\"/>%n", left, y, left + plotW, y));
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" fill=\"red\">"
                    + "target %s</text>%n", left + plotW, y - 3, String.format(Locale.ROOT, fmt, targetLine)));
        }
    }

    private static double[] scale(double[] v, double unit) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i] / unit;
        }
        return out;
    }

    private static double max(double[] v) {
        double m = 0;
        for (double d : v) {
            if (!Double.isNaN(d)) {
                m = Math.max(m, d);
            }
        }
        return m;
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
