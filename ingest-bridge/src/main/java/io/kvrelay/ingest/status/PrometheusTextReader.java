package io.kvrelay.ingest.status;

/**
 * Reads samples from the Prometheus text exposition format (0.0.4, what vLLM's {@code prometheus_client} serves):
 * one sample per line, {@code name{label="value",...} value [timestamp]}, between {@code #} comment lines (HELP,
 * TYPE) and blank lines. Label sets are checked, so a quoted value with spaces, commas, braces or escaped quotes does
 * not derail the line, but not kept: the bridge needs only names and values.
 *
 * <p>A line that does not follow the format is skipped and counted, never fatal: one odd line from an exporter must
 * not hide the gauges around it. Stateless; thread-safe.
 */
final class PrometheusTextReader {
    private static final int SNIPPET = 120;

    private PrometheusTextReader() {
    }

    /** Receives each well-formed sample, in page order. */
    @FunctionalInterface
    interface SampleSink {
        void sample(String name, double value);
    }

    /**
     * What a read found besides the samples.
     *
     * @param firstMalformedLine the first skipped line (cut to 120 characters) for the log, or null
     */
    record Summary(int samples, int malformedLines, String firstMalformedLine) {
    }

    static Summary read(String text, SampleSink sink) {
        int samples = 0;
        int malformed = 0;
        String firstMalformed = null;
        Line line = new Line(text);
        int pos = 0;
        int n = text.length();
        while (pos < n) {
            int next = text.indexOf('\n', pos);
            int end = next < 0 ? n : next;
            int stop = end > pos && text.charAt(end - 1) == '\r' ? end - 1 : end;
            switch (line.parse(pos, stop)) {
                case SAMPLE -> {
                    samples++;
                    sink.sample(line.name, line.value);
                }
                case MALFORMED -> {
                    malformed++;
                    if (firstMalformed == null) {
                        firstMalformed = text.substring(pos, Math.min(stop, pos + SNIPPET));
                    }
                }
                case SKIP -> { }
            }
            pos = end + 1;
        }
        return new Summary(samples, malformed, firstMalformed);
    }

    private enum Kind { SAMPLE, SKIP, MALFORMED }

    /** A cursor over one line of the page; reused line after line to avoid a substring per line. */
    private static final class Line {
        private final String text;
        private int pos;
        private int end;
        String name;
        double value;

        Line(String text) {
            this.text = text;
        }

        Kind parse(int from, int to) {
            pos = from;
            end = to;
            skipBlanks();
            if (pos == end || text.charAt(pos) == '#') {
                return Kind.SKIP;
            }
            return sample() ? Kind.SAMPLE : Kind.MALFORMED;
        }

        private boolean sample() {
            int start = pos;
            if (!isNameStart(text.charAt(pos))) {
                return false;
            }
            while (pos < end && isNameChar(text.charAt(pos))) {
                pos++;
            }
            name = text.substring(start, pos);
            int afterName = pos;
            skipBlanks();
            if (pos < end && text.charAt(pos) == '{') {
                if (!labels()) {
                    return false;
                }
                skipBlanks();
            } else if (pos == afterName) {
                return false; // "name-1": the value runs into the name
            }
            int valueStart = pos;
            while (pos < end && !isBlank(text.charAt(pos))) {
                pos++;
            }
            if (!value(valueStart, pos)) {
                return false;
            }
            skipBlanks();
            return pos == end || timestamp();
        }

        /** {@code {name="value", ...}}, a trailing comma allowed; escapes inside values are skipped over. */
        private boolean labels() {
            pos++;
            skipBlanks();
            if (pos < end && text.charAt(pos) == '}') {
                pos++;
                return true;
            }
            while (true) {
                if (pos == end || !isLabelStart(text.charAt(pos))) {
                    return false;
                }
                while (pos < end && isLabelChar(text.charAt(pos))) {
                    pos++;
                }
                skipBlanks();
                if (pos == end || text.charAt(pos) != '=') {
                    return false;
                }
                pos++;
                skipBlanks();
                if (pos == end || text.charAt(pos) != '"') {
                    return false;
                }
                pos++;
                if (!quotedRest()) {
                    return false;
                }
                skipBlanks();
                if (pos == end) {
                    return false;
                }
                char c = text.charAt(pos++);
                if (c == '}') {
                    return true;
                }
                if (c != ',') {
                    return false;
                }
                skipBlanks();
                if (pos < end && text.charAt(pos) == '}') {
                    pos++;
                    return true;
                }
            }
        }

        private boolean quotedRest() {
            while (pos < end) {
                char c = text.charAt(pos++);
                if (c == '\\') {
                    if (pos == end) {
                        return false;
                    }
                    pos++; // \\, \" and \n are the format's escapes; others are taken literally rather than refused
                } else if (c == '"') {
                    return true;
                }
            }
            return false;
        }

        /**
         * A float as Go's {@code ParseFloat} reads it in Prometheus (NaN, optionally signed Inf or Infinity, any
         * case; decimal with optional exponent), but not Java's own extras ({@code 1d}, hex), which no exporter
         * writes and {@code Double.parseDouble} would accept.
         */
        private boolean value(int from, int to) {
            if (from == to) {
                return false;
            }
            int i = from;
            char sign = text.charAt(i);
            boolean signed = sign == '+' || sign == '-';
            if (signed) {
                i++;
            }
            String rest = text.substring(i, to);
            if (rest.equalsIgnoreCase("inf") || rest.equalsIgnoreCase("infinity")) {
                value = sign == '-' ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
                return true;
            }
            if (!signed && rest.equalsIgnoreCase("nan")) {
                value = Double.NaN;
                return true;
            }
            int digits = 0;
            while (i < to && isDigit(text.charAt(i))) {
                i++;
                digits++;
            }
            if (i < to && text.charAt(i) == '.') {
                i++;
                while (i < to && isDigit(text.charAt(i))) {
                    i++;
                    digits++;
                }
            }
            if (digits == 0) {
                return false;
            }
            if (i < to && (text.charAt(i) == 'e' || text.charAt(i) == 'E')) {
                i++;
                if (i < to && (text.charAt(i) == '+' || text.charAt(i) == '-')) {
                    i++;
                }
                int exponentDigits = 0;
                while (i < to && isDigit(text.charAt(i))) {
                    i++;
                    exponentDigits++;
                }
                if (exponentDigits == 0) {
                    return false;
                }
            }
            if (i != to) {
                return false;
            }
            value = Double.parseDouble(text.substring(from, to));
            return true;
        }

        /** Milliseconds since the epoch, an integer; nothing may follow it. */
        private boolean timestamp() {
            int start = pos;
            if (text.charAt(pos) == '-') {
                pos++;
            }
            int digitsFrom = pos;
            while (pos < end && isDigit(text.charAt(pos))) {
                pos++;
            }
            if (pos == digitsFrom || pos - start > 20) {
                return false;
            }
            skipBlanks();
            return pos == end;
        }

        private void skipBlanks() {
            while (pos < end && isBlank(text.charAt(pos))) {
                pos++;
            }
        }

        private static boolean isBlank(char c) {
            return c == ' ' || c == '\t';
        }

        private static boolean isDigit(char c) {
            return c >= '0' && c <= '9';
        }

        private static boolean isLabelStart(char c) {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        }

        private static boolean isLabelChar(char c) {
            return isLabelStart(c) || isDigit(c);
        }

        private static boolean isNameStart(char c) {
            return isLabelStart(c) || c == ':';
        }

        private static boolean isNameChar(char c) {
            return isNameStart(c) || isDigit(c);
        }
    }
}
