package io.kvrelay.router.http;

import io.kvrelay.router.decide.RouteRequest;
import java.util.Arrays;

/**
 * Finds the top-level {@code "tokens"} array of a {@code /v1/route} body and reads its ids straight from the bytes.
 * A prompt is almost all token ids, and Jackson's number tokens were a third of the router's event-loop CPU per
 * request; digits to an {@code int} here cost a few nanoseconds each.
 *
 * <p>Only the plain case is handled: one top-level {@code "tokens"} key (not escaped) whose array holds non-negative
 * decimal ints without leading zeros, at most {@link RouteRequest#MAX_TOKENS}. Anything else returns null, and the
 * body is read by Jackson alone, which names what is wrong: the scan never decides whether a body is valid, and the
 * rest of the body is always parsed by Jackson (with the array's contents blanked, see {@link #blanked}).
 */
final class TokenArrayScan {
    /** The ids, and the bytes between the brackets. */
    record Found(int[] tokens, int from, int to) {
        /** The body with the array's contents as spaces: Jackson reads the rest and sees {@code "tokens": [ ]}. */
        byte[] blanked(byte[] raw) {
            byte[] copy = raw.clone();
            Arrays.fill(copy, from, to, (byte) ' ');
            return copy;
        }
    }

    private static final byte[] KEY = {'t', 'o', 'k', 'e', 'n', 's'};

    private TokenArrayScan() {
    }

    static Found find(byte[] b) {
        Found found = null;
        int depth = 0;
        int i = 0;
        while (i < b.length) {
            byte c = b[i];
            if (c == '"') {
                int end = endOfString(b, i + 1);
                if (end < 0) {
                    return null;
                }
                boolean key = depth == 1 && end - i - 1 == KEY.length && Arrays.equals(b, i + 1, end, KEY, 0,
                        KEY.length);
                i = end + 1;
                if (key) {
                    int j = skipWhitespace(b, i);
                    if (j < b.length && b[j] == ':') {
                        j = skipWhitespace(b, j + 1);
                        if (j < b.length && b[j] == '[') {
                            if (found != null) {
                                return null; // a second "tokens": Jackson decides
                            }
                            found = ints(b, j + 1);
                            if (found == null) {
                                return null;
                            }
                            i = found.to() + 1;
                        }
                    }
                }
                continue;
            }
            if (c == '{' || c == '[') {
                depth++;
            } else if (c == '}' || c == ']') {
                depth--;
            }
            i++;
        }
        return found;
    }

    /** The index of the closing quote of a string starting at {@code i}, or -1. */
    private static int endOfString(byte[] b, int i) {
        while (i < b.length) {
            byte c = b[i];
            if (c == '\\') {
                i += 2;
            } else if (c == '"') {
                return i;
            } else {
                i++;
            }
        }
        return -1;
    }

    private static int skipWhitespace(byte[] b, int i) {
        while (i < b.length && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t')) {
            i++;
        }
        return i;
    }

    /** The ids from just after {@code [} to the closing {@code ]}; null at anything but plain ints. */
    private static Found ints(byte[] b, int from) {
        int[] out = new int[1024];
        int n = 0;
        int i = skipWhitespace(b, from);
        if (i < b.length && b[i] == ']') {
            return new Found(new int[0], from, i);
        }
        while (i < b.length) {
            int start = i;
            long v = 0;
            while (i < b.length && b[i] >= '0' && b[i] <= '9' && i - start < 11) {
                v = v * 10 + (b[i] - '0');
                i++;
            }
            int digits = i - start;
            if (digits == 0 || digits > 10 || v > Integer.MAX_VALUE || (digits > 1 && b[start] == '0')) {
                return null;
            }
            if (n == out.length) {
                if (n >= RouteRequest.MAX_TOKENS) {
                    return null;
                }
                out = Arrays.copyOf(out, Math.min(n * 2, RouteRequest.MAX_TOKENS));
            }
            out[n++] = (int) v;
            i = skipWhitespace(b, i);
            if (i >= b.length) {
                return null;
            }
            if (b[i] == ']') {
                return new Found(n == out.length ? out : Arrays.copyOf(out, n), from, i);
            }
            if (b[i] != ',') {
                return null;
            }
            i = skipWhitespace(b, i + 1);
        }
        return null;
    }
}
