package io.kvrelay.launcher.replay;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Reading replay.json defensively (any field may be absent, null or of the other number type) and writing it as
 * escaped HTML text: numbers, shares, durations, tables, and the line a section shows when it has no data.
 */
final class HtmlText {
    static final String NONE = "\u2013";
    private static final Pattern NUMERIC = Pattern.compile("[-+]?[0-9][0-9.,]*(%| ms| s|k|M)?|\u2013");

    private HtmlText() {
    }

    /** Escapes text for HTML and SVG, in element content and in quoted attributes alike; null is "". */
    static String escape(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    /**
     * The node's number, NaN when it is absent, null, not a number (a numeric string counts) or not finite: Jackson
     * writes infinities as strings, and one must never reach an SVG coordinate.
     */
    static double value(JsonNode n) {
        if (n == null || n.isMissingNode() || n.isNull()) {
            return Double.NaN;
        }
        double v;
        if (n.isNumber()) {
            v = n.asDouble();
        } else {
            try {
                v = Double.parseDouble(n.asText().trim());
            } catch (NumberFormatException e) {
                return Double.NaN;
            }
        }
        return Double.isFinite(v) ? v : Double.NaN;
    }

    /** The node as text, or a dash when it is absent, null or empty. */
    static String text(JsonNode n) {
        return n == null || n.isMissingNode() || n.isNull() || n.asText().isEmpty() ? NONE : n.asText();
    }

    /** An instant as epoch ms, NaN when the node is not an ISO-8601 instant. */
    static double instant(JsonNode n) {
        try {
            return n == null || !n.isTextual() ? Double.NaN : Instant.parse(n.asText()).toEpochMilli();
        } catch (DateTimeParseException e) {
            return Double.NaN;
        }
    }

    /** A count with thousands separators (1,200), one decimal if it is not whole, a dash if absent. */
    static String count(JsonNode n) {
        return count(value(n));
    }

    /** A count with thousands separators, one decimal if it is not whole, a dash if NaN. */
    static String count(double v) {
        if (Double.isNaN(v)) {
            return NONE;
        }
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? String.format(Locale.ROOT, "%,d", (long) v)
                : String.format(Locale.ROOT, "%,.1f", v);
    }

    /** A share 0..1 as a percentage, a dash if absent. */
    static String share(JsonNode n) {
        double v = value(n);
        return Double.isNaN(v) ? NONE : Ticks.percent(v);
    }

    /** Milliseconds with one decimal, a dash if absent. */
    static String ms(JsonNode n) {
        double v = value(n);
        return Double.isNaN(v) ? NONE : String.format(Locale.ROOT, "%,.1f ms", v);
    }

    /** A duration in ms in the unit that reads best (250 ms, 1.5 s, 4 min), a dash if absent. */
    static String duration(JsonNode n) {
        double v = value(n);
        return Double.isNaN(v) ? NONE : Ticks.duration(v);
    }

    /** The line a section shows instead of its charts. */
    static String noData(String what) {
        return "<p class=\"nodata\">No data: " + escape(what) + ".</p>\n";
    }

    /** A titled box of the page's grid; a wide one spans both columns. */
    static String card(String title, boolean wide, String body) {
        return (wide ? "<div class=\"card wide\">" : "<div class=\"card\">") + "<h3>" + escape(title) + "</h3>\n"
                + body + "</div>\n";
    }

    /** An HTML table of text cells (escaped here); cells that read as numbers are right-aligned. */
    static final class Table {
        private final String[] header;
        private final List<String[]> rows = new ArrayList<>();
        private String cssClass = "";

        Table(String... header) {
            this.header = header;
        }

        Table row(String... cells) {
            rows.add(cells);
            return this;
        }

        /** A CSS class for the table ({@code kv}: key/value, every value left-aligned). */
        Table styled(String cssClass) {
            this.cssClass = cssClass;
            return this;
        }

        int size() {
            return rows.size();
        }

        String html() {
            StringBuilder sb = new StringBuilder(cssClass.isEmpty() ? "<table>\n"
                    : "<table class=\"" + escape(cssClass) + "\">\n");
            if (String.join("", header).length() > 0) { // a key/value table has no header row
                sb.append("<thead><tr>");
                for (String h : header) {
                    sb.append("<th>").append(escape(h)).append("</th>");
                }
                sb.append("</tr></thead>\n");
            }
            sb.append("<tbody>\n");
            for (String[] r : rows) {
                sb.append("<tr>");
                for (String c : r) {
                    sb.append(c != null && NUMERIC.matcher(c).matches() ? "<td class=\"n\">" : "<td>")
                            .append(escape(c)).append("</td>");
                }
                sb.append("</tr>\n");
            }
            return sb.append("</tbody>\n</table>\n").toString();
        }
    }
}
