package io.kvrelay.launcher.replay;

import io.kvrelay.launcher.replay.ChartFrame.Legend;
import java.util.List;
import java.util.function.DoubleFunction;

/**
 * The report's four kinds of chart as inline SVG, 560 units wide so two sit side by side on a 1200 px page: lines
 * over time, vertical bars per category (a histogram), horizontal bars per label (policies, hit rates) and a timeline
 * of events per row. The callers check there is data; given none, a chart is still drawn, only empty.
 */
final class SvgCharts {
    /** Series colours, in order: distinct on white and from each other, dark enough for thin lines. */
    static final String[] PALETTE = {"#1f5fbf", "#e07b00", "#2e9e44", "#c8283c", "#7b4fc2", "#8c5a2b", "#d64fa8",
        "#5f6b7a", "#a3a300", "#1aa3b8"};
    static final int WIDTH = 560;
    private static final double CHAR_W = 6.8;
    private static final int ROW = 26;

    private SvgCharts() {
    }

    static String color(int i) {
        return PALETTE[Math.floorMod(i, PALETTE.length)];
    }

    /** One line of a line chart: x in epoch ms, NaN where the series has no value; {@code dash} "" is solid. */
    record Series(String name, String color, String dash, double[] atMs, double[] values) {
    }

    /** An event on a timeline: when, on which row, its colour and its tooltip. */
    record Marker(double atMs, int row, String color, String tooltip) {
    }

    /** Lines over time (UTC), the y axis from 0 (or below, for negative values) to a round value above the peak. */
    static String lines(String label, String yTitle, List<Series> series, List<Legend> legend) {
        double minX = Double.POSITIVE_INFINITY;
        double maxX = Double.NEGATIVE_INFINITY;
        double minY = 0;
        double maxY = 0;
        for (Series s : series) {
            for (int i = 0; i < s.atMs().length; i++) {
                if (!Double.isNaN(s.atMs()[i]) && !Double.isNaN(s.values()[i])) {
                    minX = Math.min(minX, s.atMs()[i]);
                    maxX = Math.max(maxX, s.atMs()[i]);
                    minY = Math.min(minY, s.values()[i]);
                    maxY = Math.max(maxY, s.values()[i]);
                }
            }
        }
        double[] x = padded(minX, maxX);
        ChartFrame f = new ChartFrame(label, WIDTH, 220, 64, legend);
        f.yAxis(Ticks.nice(minY, maxY, 5), Ticks::number, yTitle);
        timeAxis(f, x[0], x[1]);
        for (Series s : series) {
            double[] px = new double[s.atMs().length];
            double[] py = new double[px.length];
            for (int i = 0; i < px.length; i++) {
                px[i] = Double.isNaN(s.atMs()[i]) ? Double.NaN : f.x(s.atMs()[i]);
                py[i] = Double.isNaN(s.values()[i]) ? Double.NaN : f.y(s.values()[i]);
            }
            f.svg().path(px, py, s.color(), 2, s.dash());
        }
        return f.close();
    }

    /** Vertical bars, one per category, with its value above it; category labels thinned out when crowded. */
    static String bars(String label, String xTitle, String yTitle, List<String> categories, double[] values,
                       String color) {
        double max = 0;
        int longest = 1;
        for (int i = 0; i < values.length; i++) {
            max = Math.max(max, values[i]);
            longest = Math.max(longest, categories.get(i).length());
        }
        ChartFrame f = new ChartFrame(label, WIDTH, 200, 64, List.of());
        f.yAxis(Ticks.nice(0, max, 5), Ticks::number, yTitle);
        int n = Math.max(1, values.length);
        f.xAxis(0, n, new double[0], v -> "", xTitle, false);
        double slot = (f.right - f.left) / (double) n;
        int every = (int) Math.ceil((longest * CHAR_W + 8) / slot);
        for (int i = 0; i < values.length; i++) {
            double top = f.y(values[i]);
            double x = f.x(i) + slot * 0.15;
            f.svg().rect(x, top, slot * 0.7, f.y(0) - top, color, "");
            String text = Ticks.number(values[i]);
            if (slot >= text.length() * CHAR_W) {
                f.svg().text(x + slot * 0.35, top - 4, "middle", "font-size=\"11\" fill=\"#333\"", text);
            }
            if (i % every == 0) {
                f.svg().text(x + slot * 0.35, f.bottom + 18, "middle", "fill=\"#333\"", categories.get(i));
            }
        }
        return f.close();
    }

    /**
     * Horizontal bars, one row per label, in the order given, each with its value at its end; the x axis from 0 to
     * {@code max} (or a round value above the largest bar). {@code width} lets a chart beside a table keep its text
     * at the page's size.
     */
    static String hbars(int width, String label, List<String> labels, double[] values, double max,
                        DoubleFunction<String> format, String xTitle, String[] colors) {
        for (double v : values) {
            max = Double.isNaN(v) ? max : Math.max(max, v);
        }
        ChartFrame f = new ChartFrame(label, width, labels.size() * ROW + 6, labelWidth(labels), List.of());
        double[] ticks = Ticks.nice(0, max, 5);
        f.xAxis(0, ticks[ticks.length - 1], ticks, format, xTitle, true);
        f.svg().line(f.left, f.top, f.left, f.bottom, "#555", "");
        for (int i = 0; i < labels.size(); i++) {
            double y = f.top + 5 + i * ROW;
            f.svg().text(f.left - 6, y + 13, "end", "fill=\"#222\"", fit(labels.get(i), f.left));
            if (Double.isNaN(values[i])) {
                f.svg().text(f.left + 6, y + 13, "start", "fill=\"#777\"", "no data");
                continue;
            }
            double end = f.x(values[i]);
            f.svg().rect(f.left, y, end - f.left, ROW - 8, colors[i % colors.length], "");
            String text = format.apply(values[i]);
            boolean inside = end + 6 + text.length() * CHAR_W > f.right;
            f.svg().text(inside ? end - 5 : end + 5, y + 13, inside ? "end" : "start",
                    inside ? "fill=\"white\" font-weight=\"bold\"" : "fill=\"#222\" font-weight=\"bold\"", text);
        }
        return f.close();
    }

    /** Markers on a time axis, one row per label (a pod), with a tooltip each. */
    static String timeline(String label, List<String> rows, double fromMs, double toMs, List<Marker> markers,
                           List<Legend> legend) {
        double[] x = padded(fromMs, toMs);
        ChartFrame f = new ChartFrame(label, WIDTH, rows.size() * ROW + 6, labelWidth(rows), legend);
        timeAxis(f, x[0], x[1]);
        f.svg().line(f.left, f.top, f.left, f.bottom, "#555", "");
        for (int i = 0; i < rows.size(); i++) {
            double y = f.top + 5 + i * ROW + (ROW - 8) / 2.0;
            f.svg().line(f.left, y, f.right, y, "#c9d0d8", "stroke-dasharray=\"2 3\"");
            f.svg().text(f.left - 6, y + 4, "end", "fill=\"#222\"", fit(rows.get(i), f.left));
        }
        for (Marker m : markers) {
            f.svg().diamond(f.x(m.atMs()), f.top + 5 + m.row() * ROW + (ROW - 8) / 2.0, 7, m.color(), m.tooltip());
        }
        return f.close();
    }

    private static void timeAxis(ChartFrame f, double fromMs, double toMs) {
        double[] ticks = Ticks.time(fromMs, toMs, 6);
        f.xAxis(fromMs, toMs, ticks, v -> Ticks.timeLabel(v, ticks), "time (UTC)", true);
    }

    /** A time range with room: a lone instant gets a minute either side; no instant at all, the epoch's first. */
    private static double[] padded(double from, double to) {
        if (Double.isInfinite(from) || Double.isNaN(from) || Double.isInfinite(to) || Double.isNaN(to)) {
            return new double[] {0, 60_000};
        }
        return to > from ? new double[] {from, to} : new double[] {from - 60_000, to + 60_000};
    }

    /** A label cut to the room left of the axis, with an ellipsis. */
    private static String fit(String label, int room) {
        int chars = (int) ((room - 16) / CHAR_W);
        return label.length() <= chars ? label : label.substring(0, Math.max(1, chars - 1)) + "\u2026";
    }

    private static int labelWidth(List<String> labels) {
        int longest = 4;
        for (String l : labels) {
            longest = Math.max(longest, l.length());
        }
        return (int) Math.min(220, 24 + longest * CHAR_W);
    }
}
