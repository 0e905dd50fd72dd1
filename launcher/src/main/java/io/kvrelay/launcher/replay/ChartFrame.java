package io.kvrelay.launcher.replay;

import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleFunction;

/**
 * The frame every chart of the report shares: a plot area with its two axes (ticks, grid lines, labels, axis titles)
 * and a legend under it, wrapped into as many rows as the chart's width needs. Maps data values to pixels.
 */
final class ChartFrame {
    /** A legend entry: a filled box when {@code dash} is null, else a line ({@code ""} solid, or a dash pattern). */
    record Legend(String label, String color, String dash) {
        static Legend box(String label, String color) {
            return new Legend(label, color, null);
        }
    }

    private static final int TOP = 14;
    private static final int RIGHT = 18;
    private static final int AXIS = 44;
    private static final int ROW = 18;
    private static final double CHAR_W = 6.8;

    private final Svg svg;
    private final int width;
    private final List<Legend> legend;
    final int left;
    final int right;
    final int top = TOP;
    final int bottom;
    private double x0;
    private double x1 = 1;
    private double y0;
    private double y1 = 1;

    /** {@code left} is the room for the y axis's labels; the drawing's height follows from the legend's rows. */
    ChartFrame(String label, int width, int plotHeight, int left, List<Legend> legend) {
        this.width = width;
        this.legend = legend;
        this.left = left;
        this.right = width - RIGHT;
        this.bottom = TOP + plotHeight;
        List<double[]> at = layout(legend, width);
        int rows = at.isEmpty() ? 0 : (int) at.get(at.size() - 1)[1] + 1;
        this.svg = new Svg(width, bottom + AXIS + rows * ROW + (rows > 0 ? 6 : 0), label);
    }

    Svg svg() {
        return svg;
    }

    double x(double v) {
        return left + (right - left) * (v - x0) / (x1 - x0);
    }

    double y(double v) {
        return bottom - (bottom - top) * (v - y0) / (y1 - y0);
    }

    /** The y axis spans the first to the last tick; a grid line and a label at every tick; the title rotated. */
    void yAxis(double[] ticks, DoubleFunction<String> label, String title) {
        y0 = ticks[0];
        y1 = ticks[ticks.length - 1] > y0 ? ticks[ticks.length - 1] : y0 + 1;
        for (double t : ticks) {
            svg.line(left, y(t), right, y(t), "#e3e7ec", "");
            svg.text(left - 6, y(t) + 4, "end", "fill=\"#333\"", label.apply(t));
        }
        svg.line(left, top, left, bottom, "#555", "");
        int mid = (top + bottom) / 2;
        svg.text(14, mid, "middle", "transform=\"rotate(-90 14 " + mid + ")\" fill=\"#333\"", title);
    }

    /** The x axis spans [min, max]; {@code ticks} inside it get a tick mark, a label and, if asked, a grid line. */
    void xAxis(double min, double max, double[] ticks, DoubleFunction<String> label, String title, boolean grid) {
        x0 = min;
        x1 = max > min ? max : min + 1;
        for (double t : ticks) {
            if (grid) {
                svg.line(x(t), top, x(t), bottom, "#e3e7ec", "");
            }
            svg.line(x(t), bottom, x(t), bottom + 5, "#555", "");
            svg.text(x(t), bottom + 18, "middle", "fill=\"#333\"", label.apply(t));
        }
        svg.line(left, bottom, right, bottom, "#555", "");
        svg.text((left + right) / 2.0, bottom + 36, "middle", "fill=\"#333\"", title);
    }

    /** Draws the legend and ends the drawing. */
    String close() {
        List<double[]> at = layout(legend, width);
        for (int i = 0; i < legend.size(); i++) {
            Legend e = legend.get(i);
            double x = at.get(i)[0];
            double y = bottom + AXIS + 8 + at.get(i)[1] * ROW;
            if (e.dash() == null) {
                svg.rect(x, y - 9, 14, 12, e.color(), "");
            } else {
                svg.line(x, y - 3, x + 22, y - 3, e.color(), "stroke-width=\"3\""
                        + (e.dash().isEmpty() ? "" : " stroke-dasharray=\"" + e.dash() + "\""));
            }
            svg.text(x + 28, y + 1, "start", "", e.label());
        }
        return svg.close();
    }

    /** Where each legend entry goes: {x, row}, wrapping at the drawing's width. */
    private static List<double[]> layout(List<Legend> legend, int width) {
        List<double[]> out = new ArrayList<>();
        double x = 12;
        int row = 0;
        for (Legend e : legend) {
            double w = 28 + CHAR_W * e.label().length() + 18;
            if (x > 12 && x + w > width - 8) {
                x = 12;
                row++;
            }
            out.add(new double[] {x, row});
            x += w;
        }
        return out;
    }
}
