package io.kvrelay.router.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.kvrelay.router.decide.RouteRequest;
import io.kvrelay.schemas.BlockKeys;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads a {@code /v1/route} body straight into a {@link RouteRequest}, token ids into an {@code int[]}, without a
 * JSON tree: the tree of a 1,024-token prompt was a quarter of the router's CPU per request. The token array itself
 * is read from the bytes by {@link TokenArrayScan} when it is plain (it always is from a well-behaved client).
 * Besides the tokens: {@code lora}, {@code cacheSalt} (vLLM's {@code cache_salt}) and {@code multimodal}, an array
 * of {@code {"identifier": string, "offset": int, "length": int}} (vLLM's mm identifier and its placeholder tokens).
 * Unknown fields are skipped; every error names the field.
 */
final class RouteRequestJson {
    private RouteRequestJson() {
    }

    static RouteRequest read(JsonFactory factory, byte[] raw) {
        TokenArrayScan.Found fast = TokenArrayScan.find(raw);
        return read(factory, fast == null ? raw : fast.blanked(raw), fast == null ? null : fast.tokens());
    }

    /** @param scanned the token ids when {@link TokenArrayScan} read them (the body's array is then blank), or null */
    static RouteRequest read(JsonFactory factory, byte[] raw, int[] scanned) {
        String namespace = null;
        String service = null;
        String userId = null;
        String lora = null;
        String cacheSalt = null;
        List<BlockKeys.MmItem> multimodal = null;
        int[] tokens = null;
        try (JsonParser p = factory.createParser(raw)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException("body must be a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken t = p.nextToken();
                switch (field) {
                    case "namespace" -> namespace = string(p, t, field);
                    case "service" -> service = string(p, t, field);
                    case "userId" -> userId = string(p, t, field);
                    case "lora" -> lora = string(p, t, field);
                    case "cacheSalt" -> cacheSalt = string(p, t, field);
                    case "multimodal" -> multimodal = items(p, t);
                    case "tokens" -> tokens = scanned != null ? skipped(p, t, scanned) : ints(p, t, field);
                    default -> p.skipChildren();
                }
            }
            if (p.currentToken() != JsonToken.END_OBJECT) {
                throw new IllegalArgumentException("body must be a JSON object");
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("invalid JSON: " + e.getMessage().split("\n")[0]);
        }
        if (namespace == null || namespace.isBlank()) {
            throw new IllegalArgumentException("namespace is required (a non-empty string)");
        }
        if (service == null || service.isBlank()) {
            throw new IllegalArgumentException("service is required (a non-empty string)");
        }
        if (tokens == null) {
            throw new IllegalArgumentException("tokens is required (an array of ints)");
        }
        return new RouteRequest(namespace, service, userId, tokens, BlockKeys.Extras.of(lora, cacheSalt, multimodal));
    }

    /** {@code multimodal}: null, or an array of at most {@code Extras.MAX_ITEMS} items. */
    private static List<BlockKeys.MmItem> items(JsonParser p, JsonToken t) throws IOException {
        if (t == JsonToken.VALUE_NULL) {
            return null;
        }
        if (t != JsonToken.START_ARRAY) {
            p.skipChildren();
            throw new IllegalArgumentException("multimodal must be an array of {identifier, offset, length}");
        }
        List<BlockKeys.MmItem> out = new ArrayList<>();
        for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
            if (out.size() == BlockKeys.Extras.MAX_ITEMS) {
                throw new IllegalArgumentException("at most " + BlockKeys.Extras.MAX_ITEMS + " multimodal items");
            }
            out.add(item(p, e, "multimodal[" + out.size() + "]"));
        }
        return out;
    }

    private static BlockKeys.MmItem item(JsonParser p, JsonToken t, String at) throws IOException {
        if (t != JsonToken.START_OBJECT) {
            throw new IllegalArgumentException(at + " must be an object {identifier, offset, length}");
        }
        String identifier = null;
        Integer offset = null;
        Integer length = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken v = p.nextToken();
            switch (field) {
                case "identifier" -> identifier = string(p, v, at + ".identifier");
                case "offset" -> offset = integer(p, v, at + ".offset");
                case "length" -> length = integer(p, v, at + ".length");
                default -> p.skipChildren();
            }
        }
        if (identifier == null) {
            throw new IllegalArgumentException(at + ".identifier is required (vLLM's mm identifier, a string)");
        }
        if (offset == null || length == null) {
            throw new IllegalArgumentException(at + ": offset and length are required (ints, in tokens)");
        }
        try {
            return new BlockKeys.MmItem(identifier, offset, length);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(at + ": " + e.getMessage());
        }
    }

    private static int integer(JsonParser p, JsonToken t, String field) throws IOException {
        if (t != JsonToken.VALUE_NUMBER_INT || p.getNumberType() != JsonParser.NumberType.INT) {
            p.skipChildren();
            throw new IllegalArgumentException(field + " must be an int");
        }
        return p.getIntValue();
    }

    private static String string(JsonParser p, JsonToken t, String field) throws IOException {
        if (t == JsonToken.VALUE_NULL) {
            return null;
        }
        if (t != JsonToken.VALUE_STRING) {
            p.skipChildren();
            throw new IllegalArgumentException(field + " must be a string");
        }
        return p.getText();
    }

    private static int[] skipped(JsonParser p, JsonToken t, int[] scanned) throws IOException {
        p.skipChildren(); // "[ ... ]" blanked: nothing inside
        return scanned;
    }

    private static int[] ints(JsonParser p, JsonToken t, String field) throws IOException {
        if (t != JsonToken.START_ARRAY) {
            throw new IllegalArgumentException(field + " is required (an array of ints)");
        }
        int[] out = new int[1024];
        int n = 0;
        for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
            if (e != JsonToken.VALUE_NUMBER_INT || p.getNumberType() != JsonParser.NumberType.INT) {
                throw new IllegalArgumentException(field + "[" + n + "] must be an int");
            }
            if (n == out.length) {
                if (n >= RouteRequest.MAX_TOKENS) {
                    throw new IllegalArgumentException("at most " + RouteRequest.MAX_TOKENS + " tokens");
                }
                out = Arrays.copyOf(out, n * 2);
            }
            out[n++] = p.getIntValue();
        }
        return n == out.length ? out : Arrays.copyOf(out, n);
    }
}
