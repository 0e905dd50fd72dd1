package io.kvrelay.launcher.replay;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.StringJoiner;
import java.util.TreeMap;

/**
 * One end of a replay window, as a person types it: an instant ({@code 2026-11-22T10:00:00Z}: each partition's first
 * record stamped at or after it), one offset for every partition ({@code 1200}), or offsets per partition
 * ({@code 0:1200,1:800}; partitions not listed start at their beginning, or end at their end). Parsed by picocli.
 */
public sealed interface LogPosition {

    /** The first record stamped at or after {@code at}. */
    record At(Instant at) implements LogPosition {
        @Override
        public String toString() {
            return at.toString();
        }
    }

    /** The same offset in every partition of the topic. */
    record Offset(long offset) implements LogPosition {
        public Offset {
            if (offset < 0) {
                throw new IllegalArgumentException("an offset must be >= 0, got " + offset);
            }
        }

        @Override
        public String toString() {
            return "offset " + offset;
        }
    }

    /** An offset per partition. */
    record Offsets(Map<Integer, Long> byPartition) implements LogPosition {
        public Offsets {
            byPartition = Map.copyOf(byPartition);
            if (byPartition.isEmpty()) {
                throw new IllegalArgumentException("no partition offsets given");
            }
            byPartition.forEach((p, o) -> {
                if (p < 0 || o < 0) {
                    throw new IllegalArgumentException("partition and offset must be >= 0, got " + p + ":" + o);
                }
            });
        }

        @Override
        public String toString() {
            StringJoiner pairs = new StringJoiner(",", "offsets ", "");
            new TreeMap<>(byPartition).forEach((p, o) -> pairs.add(p + ":" + o));
            return pairs.toString();
        }
    }

    static LogPosition parse(String text) {
        String s = text.strip();
        if (s.isEmpty()) {
            throw new IllegalArgumentException("empty position: give an instant, an offset or partition:offset pairs");
        }
        if (s.chars().allMatch(Character::isDigit)) {
            return new Offset(Long.parseLong(s));
        }
        if (s.chars().allMatch(c -> Character.isDigit(c) || c == ':' || c == ',')) {
            Map<Integer, Long> m = new TreeMap<>();
            for (String pair : s.split(",")) {
                String[] po = pair.split(":");
                if (po.length != 2 || po[0].isEmpty() || po[1].isEmpty()) {
                    throw new IllegalArgumentException("expected partition:offset, got '" + pair + "'");
                }
                if (m.put(Integer.parseInt(po[0]), Long.parseLong(po[1])) != null) {
                    throw new IllegalArgumentException("partition " + po[0] + " given twice");
                }
            }
            return new Offsets(m);
        }
        try {
            return new At(Instant.parse(s));
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("'" + text + "' is neither an ISO-8601 instant (2026-11-22T10:00:00Z), "
                    + "an offset (1200) nor partition:offset pairs (0:1200,1:800)");
        }
    }
}
