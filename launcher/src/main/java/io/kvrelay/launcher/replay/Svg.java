package io.kvrelay.launcher.replay;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

/**
 * Writes one plain SVG 1.1 element (what browsers and GitHub render inline): shapes and text in user units, numbers
 * in {@link Locale#ROOT} so a German locale never writes {@code 1,5} into a coordinate, every text escaped.
 */
final class Svg {
    static final String FONT = "DejaVu Sans, Arial, sans-serif";
    private final StringBuilder sb = new StringBuilder();

    /** Opens a {@code width x height} drawing on white; {@code label} is what screen readers (and tests) see. */
    Svg(int width, int height, String label) {
        sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"%s\" font-family=\"%s\" font-size=\"12\">%n",
                width, height, width, height, HtmlText.escape(label), FONT));
        sb.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", width, height));
    }

    /** Text at (x, y); {@code anchor} is start, middle or end; {@code attrs} is raw extra attributes or "". */
    Svg text(double x, double y, String anchor, String attrs, String text) {
        sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\"%s>%s</text>%n", x, y,
                anchor, attrs.isEmpty() ? "" : " " + attrs, HtmlText.escape(text)));
        return this;
    }

    Svg line(double x1, double y1, double x2, double y2, String stroke, String attrs) {
        sb.append(String.format(Locale.ROOT,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"%s/>%n", x1, y1, x2, y2,
                stroke, attrs.isEmpty() ? "" : " " + attrs));
        return this;
    }

    Svg rect(double x, double y, double w, double h, String fill, String attrs) {
        sb.append(String.format(Locale.ROOT,
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"%s/>%n", x, y,
                Math.max(0, w), Math.max(0, h), fill, attrs.isEmpty() ? "" : " " + attrs));
        return this;
    }

    /** A diamond of half-width {@code r} centred on (x, y), with a tooltip. */
    Svg diamond(double x, double y, double r, String fill, String tooltip) {
        sb.append(String.format(Locale.ROOT, "<path d=\"M%.1f %.1fL%.1f %.1fL%.1f %.1fL%.1f %.1fZ\" fill=\"%s\" "
                + "stroke=\"white\" stroke-width=\"0.8\"><title>%s</title></path>%n", x, y - r, x + r, y, x, y + r,
                x - r, y, fill, HtmlText.escape(tooltip)));
        return this;
    }

    /**
     * A line through the points, broken where a y is NaN (a pod missing from a sample); a lone point between gaps
     * becomes a dot so it is not lost.
     */
    Svg path(double[] xPixels, double[] yPixels, String stroke, double width, String dash) {
        double[][] thin = thin(xPixels, yPixels);
        double[] xs = thin[0];
        double[] ys = thin[1];
        StringBuilder d = new StringBuilder();
        int run = 0;
        for (int i = 0; i < xs.length; i++) {
            if (Double.isNaN(xs[i]) || Double.isNaN(ys[i])) {
                run = 0;
                continue;
            }
            d.append(String.format(Locale.ROOT, "%s%.1f %.1f", run == 0 ? "M" : "L", xs[i], ys[i]));
            boolean alone = run == 0 && (i + 1 == xs.length || Double.isNaN(ys[i + 1]) || Double.isNaN(xs[i + 1]));
            if (alone) {
                sb.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\"/>%n",
                        xs[i], ys[i], width + 1, stroke));
            }
            run++;
        }
        if (d.length() > 0) {
            sb.append(String.format(Locale.ROOT, "<path d=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"%.1f\" "
                    + "stroke-linejoin=\"round\"%s/>%n", d, stroke, width,
                    dash.isEmpty() ? "" : " stroke-dasharray=\"" + dash + "\""));
        }
        return this;
    }

    /**
     * The points of each pixel column reduced to the first, lowest, highest and last (in their order), which draws
     * the same line: a day of 10 s samples stays a few hundred points per series, not thousands.
     */
    private static double[][] thin(double[] xs, double[] ys) {
        List<Integer> keep = new ArrayList<>();
        int i = 0;
        while (i < xs.length) {
            if (Double.isNaN(xs[i]) || Double.isNaN(ys[i])) {
                keep.add(i++); // the gap stays a gap
                continue;
            }
            double column = Math.floor(xs[i]);
            int lo = i;
            int hi = i;
            int j = i;
            while (j + 1 < xs.length && !Double.isNaN(ys[j + 1]) && Math.floor(xs[j + 1]) == column) {
                j++;
                lo = ys[j] < ys[lo] ? j : lo;
                hi = ys[j] > ys[hi] ? j : hi;
            }
            new TreeSet<>(List.of(i, lo, hi, j)).forEach(keep::add);
            i = j + 1;
        }
        double[][] out = new double[2][keep.size()];
        for (int k = 0; k < keep.size(); k++) {
            out[0][k] = xs[keep.get(k)];
            out[1][k] = ys[keep.get(k)];
        }
        return out;
    }

    String close() {
        return sb.append("</svg>\n").toString();
    }
}
