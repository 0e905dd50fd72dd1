package io.kvrelay.stream.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.kvrelay.schemas.BlockKeyHex;
import io.kvrelay.schemas.BlockKeys;
import io.kvrelay.stream.query.PrefixMatchRequest;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a prefix-match body. Keys come either as {@code "keys": ["<16 hex digits>", ...]} (what routers send, from
 * {@code BlockKeys.chain}) or, for trying the API by hand, as {@code "tokens": [...]} with an optional
 * {@code "blockSize"} (default 16), {@code "lora"}, {@code "cacheSalt"} and {@code "multimodal"} (items
 * {@code {"identifier", "offset", "length"}}, as in the router's {@code /v1/route}), which this instance turns into
 * keys. Every error names the field.
 */
final class PrefixMatchJson {
    private PrefixMatchJson() {
    }

    static PrefixMatchRequest parse(JsonNode body) {
        if (body == null || !body.isObject()) {
            throw new IllegalArgumentException("body must be a JSON object");
        }
        String ns = text(body, "namespace");
        String service = text(body, "service");
        long[] keys;
        JsonNode k = body.get("keys");
        JsonNode t = body.get("tokens");
        if (k != null && t != null) {
            throw new IllegalArgumentException("give either keys or tokens, not both");
        }
        if (k != null) {
            for (String f : new String[] {"lora", "cacheSalt", "multimodal"}) {
                if (body.hasNonNull(f)) {
                    throw new IllegalArgumentException(f + " goes with tokens: keys already include the extra keys");
                }
            }
            if (!k.isArray()) {
                throw new IllegalArgumentException("keys must be an array of 16-digit hex strings");
            }
            keys = new long[k.size()];
            for (int i = 0; i < keys.length; i++) {
                JsonNode e = k.get(i);
                if (!e.isTextual() || e.asText().isEmpty() || e.asText().length() > 16) {
                    throw new IllegalArgumentException("keys[" + i + "] must be a hex string of up to 16 digits");
                }
                try {
                    keys[i] = Long.parseUnsignedLong(e.asText(), 16);
                } catch (NumberFormatException ex) {
                    throw new IllegalArgumentException("keys[" + i + "] is not hex: '" + e.asText() + "'");
                }
            }
        } else if (t != null) {
            if (!t.isArray()) {
                throw new IllegalArgumentException("tokens must be an array of token ids");
            }
            int[] tokens = new int[t.size()];
            for (int i = 0; i < tokens.length; i++) {
                if (!t.get(i).canConvertToInt()) {
                    throw new IllegalArgumentException("tokens[" + i + "] must be an int");
                }
                tokens[i] = t.get(i).asInt();
            }
            int blockSize = body.path("blockSize").asInt(16);
            if (blockSize <= 0) {
                throw new IllegalArgumentException("blockSize must be > 0");
            }
            BlockKeys.Extras extras = extras(body, tokens.length);
            keys = BlockKeys.keys(tokens, blockSize, extras);
            if (keys.length == 0) {
                throw new IllegalArgumentException("tokens hold no full block of " + blockSize);
            }
        } else {
            throw new IllegalArgumentException("keys (hex block keys) or tokens is required");
        }
        List<String> pods = new ArrayList<>();
        JsonNode p = body.get("pods");
        if (p != null && !p.isNull()) {
            if (!p.isArray()) {
                throw new IllegalArgumentException("pods must be an array of pod names");
            }
            p.forEach(e -> pods.add(e.asText()));
        }
        return new PrefixMatchRequest(ns, service, keys, pods);
    }

    /** The body forwarded to other instances: keys only, so every instance answers for exactly the same keys. */
    static java.util.Map<String, Object> forward(PrefixMatchRequest r) {
        List<String> hex = new ArrayList<>(r.keys().length);
        for (long key : r.keys()) {
            hex.add(BlockKeyHex.of(key));
        }
        return java.util.Map.of("namespace", r.namespace(), "service", r.service(), "keys", hex, "pods", r.pods());
    }

    /** lora, cacheSalt and multimodal of a tokens body, validated as the router validates them. */
    static BlockKeys.Extras extras(JsonNode body, int promptTokens) {
        String lora = optText(body, "lora");
        String salt = optText(body, "cacheSalt");
        JsonNode mm = body.get("multimodal");
        List<BlockKeys.MmItem> items = new ArrayList<>();
        if (mm != null && !mm.isNull()) {
            if (!mm.isArray()) {
                throw new IllegalArgumentException("multimodal must be an array of {identifier, offset, length}");
            }
            if (mm.size() > BlockKeys.Extras.MAX_ITEMS) {
                throw new IllegalArgumentException("at most " + BlockKeys.Extras.MAX_ITEMS + " multimodal items");
            }
            for (int i = 0; i < mm.size(); i++) {
                JsonNode m = mm.get(i);
                String at = "multimodal[" + i + "]";
                if (!m.isObject()) {
                    throw new IllegalArgumentException(at + " must be an object {identifier, offset, length}");
                }
                JsonNode id = m.get("identifier");
                if (id == null || !id.isTextual()) {
                    throw new IllegalArgumentException(at + ".identifier is required (a string)");
                }
                try {
                    items.add(new BlockKeys.MmItem(id.asText(), intField(m, at, "offset"), intField(m, at, "length")));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(at + ": " + e.getMessage());
                }
            }
        }
        BlockKeys.Extras extras = BlockKeys.Extras.of(lora, salt, items);
        extras.requireWithin(promptTokens);
        return extras;
    }

    private static int intField(JsonNode item, String at, String field) {
        JsonNode n = item.get(field);
        if (n == null || !n.isIntegralNumber() || !n.canConvertToInt()) {
            throw new IllegalArgumentException(at + "." + field + " is required (an int)");
        }
        return n.intValue();
    }

    private static String optText(JsonNode body, String field) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isTextual()) {
            throw new IllegalArgumentException(field + " must be a string");
        }
        return n.asText();
    }

    private static String text(JsonNode body, String field) {
        JsonNode n = body.get(field);
        if (n == null || !n.isTextual() || n.asText().isBlank()) {
            throw new IllegalArgumentException(field + " is required (a non-empty string)");
        }
        return n.asText();
    }
}
