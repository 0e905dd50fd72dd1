package io.kvrelay.launcher.bench.trace;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The Mooncake trace format, JSON lines: {@code timestamp} (ms since the start), {@code input_length} and
 * {@code output_length} (tokens), {@code hash_ids} (one int per 512-token block of the prompt) and, optionally, the
 * session as {@code session_id}, {@code session}, {@code user_id} or {@code user} (string or number; traces name it
 * differently). Other fields are ignored, blank lines skipped; any other deviation is a {@link TraceFormatException}
 * naming the line, so a bad trace is reported where it is bad rather than as a stack trace.
 */
public final class MooncakeTrace {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Session fields in the order they are looked for. */
    private static final String[] SESSION_FIELDS = {"session_id", "session", "user_id", "user"};

    private MooncakeTrace() {
    }

    /** The first {@code limit} records of the file (all if it has fewer), in file order. */
    public static List<TraceRecord> read(Path file, int limit) throws IOException {
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return read(in, file.toString(), limit);
        }
    }

    /** The first {@code limit} records from {@code in}; {@code source} names it in errors. */
    public static List<TraceRecord> read(BufferedReader in, String source, int limit) throws IOException {
        if (limit < 0) {
            throw new IllegalArgumentException("limit must be >= 0, got " + limit);
        }
        List<TraceRecord> out = new ArrayList<>();
        int lineNo = 0;
        for (String line = in.readLine(); line != null && out.size() < limit; line = in.readLine()) {
            lineNo++;
            if (!line.isBlank()) {
                out.add(parse(line, source, lineNo));
            }
        }
        return out;
    }

    static TraceRecord parse(String line, String source, int lineNo) throws TraceFormatException {
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new TraceFormatException(source, lineNo, "not JSON (" + e.getOriginalMessage() + ")");
        }
        if (node == null || !node.isObject()) {
            throw new TraceFormatException(source, lineNo, "expected a JSON object");
        }
        JsonNode ts = node.get("timestamp");
        if (ts == null || !ts.isNumber() || !(ts.asDouble() >= 0)) {
            throw new TraceFormatException(source, lineNo, "timestamp must be a number >= 0 (ms), got " + ts);
        }
        int input = count(node, "input_length", source, lineNo);
        int output = count(node, "output_length", source, lineNo);
        JsonNode ids = node.get("hash_ids");
        if (ids == null || !ids.isArray()) {
            throw new TraceFormatException(source, lineNo, "hash_ids must be an array of ints, got " + ids);
        }
        int[] hashIds = new int[ids.size()];
        for (int i = 0; i < hashIds.length; i++) {
            JsonNode id = ids.get(i);
            if (!id.isInt()) {
                throw new TraceFormatException(source, lineNo, "hash_ids[" + i + "] must be a 32-bit int, got " + id);
            }
            hashIds[i] = id.intValue();
        }
        return new TraceRecord(ts.asDouble(), input, output, hashIds, session(node, source, lineNo));
    }

    private static int count(JsonNode node, String field, String source, int lineNo) throws TraceFormatException {
        JsonNode v = node.get(field);
        if (v == null || !v.isInt() || v.intValue() < 0) {
            throw new TraceFormatException(source, lineNo, field + " must be an int >= 0 (tokens), got " + v);
        }
        return v.intValue();
    }

    private static String session(JsonNode node, String source, int lineNo) throws TraceFormatException {
        for (String field : SESSION_FIELDS) {
            JsonNode v = node.get(field);
            if (v == null || v.isNull()) {
                continue;
            }
            if (v.isTextual() || v.isIntegralNumber()) {
                return v.asText();
            }
            throw new TraceFormatException(source, lineNo, field + " must be a string or an integer, got " + v);
        }
        return null;
    }

    /** One record as a line of the format (without the newline); integral timestamps are written as integers. */
    public static String line(TraceRecord r) {
        ObjectNode o = JSON.createObjectNode();
        double ts = r.timestampMs();
        if (ts == Math.rint(ts) && ts < Long.MAX_VALUE) {
            o.put("timestamp", (long) ts);
        } else {
            o.put("timestamp", ts);
        }
        o.put("input_length", r.inputLength());
        o.put("output_length", r.outputLength());
        ArrayNode ids = o.putArray("hash_ids");
        for (int id : r.hashIds()) {
            ids.add(id);
        }
        if (r.sessionId() != null) {
            o.put("session_id", r.sessionId());
        }
        try {
            return JSON.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree of numbers and strings always serialises", e);
        }
    }
}
