package io.kvrelay.ingest.decode;

import io.kvrelay.schemas.avro.AllBlocksCleared;
import io.kvrelay.schemas.avro.BlockRemoved;
import io.kvrelay.schemas.avro.BlockStored;
import io.kvrelay.schemas.avro.ExtraKey;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A decoded record as a map in the wire's vocabulary (snake_case names, hashes as unsigned decimal strings, ints as
 * Long), holding only the fields that are set: comparing two views checks every field, and "not listed" means null.
 */
final class EventView {
    private EventView() {
    }

    static Map<String, Object> of(Object event) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (event instanceof BlockStored s) {
            m.put("type", "BlockStored");
            m.put("block_hashes", hashes(s.getBlockHashes()));
            put(m, "parent_block_hash", s.getParentBlockHash() == null ? null : Long.toUnsignedString(s.getParentBlockHash()));
            List<Long> tokens = new ArrayList<>();
            s.getTokenIds().forEach(t -> tokens.add((long) t));
            m.put("token_ids", tokens);
            m.put("block_size", (long) s.getBlockSize());
            put(m, "lora_id", s.getLoraId());
            put(m, "medium", s.getMedium());
            put(m, "lora_name", s.getLoraName());
            put(m, "group_idx", s.getGroupIdx());
            put(m, "kv_cache_spec_kind", s.getKvCacheSpecKind());
            put(m, "kv_cache_spec_sliding_window", s.getKvCacheSpecSlidingWindow());
            put(m, "event_version", s.getEventVersion());
            put(m, "extra_keys", s.getExtraKeys() == null ? null : extraKeys(s.getExtraKeys()));
            put(m, "locality", s.getLocality() == null ? null : s.getLocality().name());
            put(m, "ownership", s.getOwnership());
        } else if (event instanceof BlockRemoved r) {
            m.put("type", "BlockRemoved");
            m.put("block_hashes", hashes(r.getBlockHashes()));
            put(m, "medium", r.getMedium());
            put(m, "group_idx", r.getGroupIdx());
            put(m, "locality", r.getLocality() == null ? null : r.getLocality().name());
            put(m, "ownership", r.getOwnership());
        } else if (event instanceof AllBlocksCleared) {
            m.put("type", "AllBlocksCleared");
        } else {
            throw new AssertionError("not an event record: " + event);
        }
        return m;
    }

    static List<Map<String, Object>> of(DecodedBatch batch) {
        List<Map<String, Object>> out = new ArrayList<>();
        batch.events().forEach(e -> out.add(of(e)));
        return out;
    }

    static List<String> hashes(List<Long> hashes) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < hashes.size(); i++) {
            out.add(Long.toUnsignedString(hashes.get(i)));
        }
        return out;
    }

    /** Per block, each key as a map of its set fields: kind, value, digest (hex), offset. */
    static List<List<Map<String, Object>>> extraKeys(List<List<ExtraKey>> blocks) {
        List<List<Map<String, Object>>> out = new ArrayList<>();
        for (List<ExtraKey> block : blocks) {
            List<Map<String, Object>> keys = new ArrayList<>();
            for (ExtraKey k : block) {
                keys.add(key(k));
            }
            out.add(keys);
        }
        return out;
    }

    static Map<String, Object> key(ExtraKey k) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kind", k.getKind().name());
        put(m, "value", k.getValue());
        if (k.getDigest() != null) {
            ByteBuffer b = k.getDigest().duplicate();
            byte[] bytes = new byte[b.remaining()];
            b.get(bytes);
            m.put("digest", HexFormat.of().formatHex(bytes));
        }
        put(m, "offset", k.getOffset());
        return m;
    }

    /** {@code kind} alone, or {@code kind} and {@code value}: the usual shapes in tests. */
    static Map<String, Object> key(String kind, String value) {
        return value == null ? Map.of("kind", kind) : Map.of("kind", kind, "value", value);
    }

    private static void put(Map<String, Object> m, String key, Object value) {
        if (value instanceof Integer i) {
            value = (long) i;
        }
        if (value != null) {
            m.put(key, value);
        }
    }
}
