package io.kvrelay.ingest.decode;

import static io.kvrelay.ingest.decode.KvEventDecoderTest.batch;
import static io.kvrelay.ingest.decode.KvEventDecoderTest.removedArray;
import static org.assertj.core.api.Assertions.assertThat;

import io.kvrelay.schemas.avro.BlockRemoved;
import io.kvrelay.schemas.avro.BlockStored;
import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.msgpack.core.MessageBufferPacker;

/**
 * Array events are read by the field list of their era: every BlockStored before event_version is a prefix of one
 * list, and the newest inserts event_version after lora_name (vllm-kv-events.md §2 and §7).
 */
class ArrayErasTest {
    static final List<String> OLDER = List.of("block_hashes", "parent_block_hash", "token_ids", "block_size",
        "lora_id", "medium", "lora_name", "extra_keys", "group_idx", "kv_cache_spec_kind",
        "kv_cache_spec_sliding_window", "locality", "ownership");
    static final List<String> NEWEST = List.of("block_hashes", "parent_block_hash", "token_ids", "block_size",
        "lora_id", "medium", "lora_name", "event_version", "extra_keys", "group_idx", "kv_cache_spec_kind",
        "kv_cache_spec_sliding_window", "locality", "ownership");

    final KvEventDecoder decoder = new KvEventDecoder();

    /** Every field set, and distinct, so a shifted position shows as a wrong value or a skipped one. */
    static Object wireValue(String field) {
        return switch (field) {
            case "block_hashes" -> new long[] {11, 12};
            case "parent_block_hash" -> 10L;
            case "token_ids" -> new int[] {1, 2, 3, 4, 5, 6, 7, 8};
            case "block_size" -> 4;
            case "lora_id" -> 3;
            case "medium" -> "CPU";
            case "lora_name" -> "my-lora";
            case "event_version" -> 2;
            case "extra_keys" -> List.of(List.of("my-lora"), List.of());
            case "group_idx" -> 1;
            case "kv_cache_spec_kind" -> "sliding_window";
            case "kv_cache_spec_sliding_window" -> 4096;
            case "locality" -> "REMOTE";
            case "ownership" -> "req-1";
            case "session_id" -> "session-9";
            default -> throw new IllegalArgumentException(field);
        };
    }

    static Object viewValue(String field) {
        return switch (field) {
            case "block_hashes" -> List.of("11", "12");
            case "parent_block_hash" -> "10";
            case "token_ids" -> List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L);
            case "medium", "lora_name", "kv_cache_spec_kind", "locality", "ownership" -> wireValue(field);
            case "extra_keys" -> List.of(List.of(EventView.key("LEGACY", "my-lora")), List.of());
            default -> ((Integer) wireValue(field)).longValue();
        };
    }

    static void pack(MessageBufferPacker p, Object v) throws IOException {
        if (v == null) {
            p.packNil();
        } else if (v instanceof long[] hashes) {
            p.packArrayHeader(hashes.length);
            for (long h : hashes) {
                p.packLong(h);
            }
        } else if (v instanceof int[] tokens) {
            p.packArrayHeader(tokens.length);
            for (int t : tokens) {
                p.packInt(t);
            }
        } else if (v instanceof Long l) {
            p.packLong(l);
        } else if (v instanceof Integer i) {
            p.packInt(i);
        } else if (v instanceof Boolean bool) {
            p.packBoolean(bool);
        } else if (v instanceof List<?> list) {
            p.packArrayHeader(list.size());
            for (Object o : list) {
                pack(p, o);
            }
        } else {
            p.packString((String) v);
        }
    }

    /** {@code ["BlockStored", values...]} with each field's wire value, or the override when one is given. */
    static byte[] storedArray(List<String> fields, Map<String, Object> overrides) throws IOException {
        return batch(1, p -> {
            p.packArrayHeader(1 + fields.size()).packString("BlockStored");
            for (String f : fields) {
                pack(p, overrides.containsKey(f) ? overrides.get(f) : wireValue(f));
            }
        });
    }

    static Map<String, Object> expectedView(List<String> fields) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("type", "BlockStored");
        view.put("token_ids", List.of());
        view.put("block_size", 0L);
        view.put("block_hashes", List.of());
        for (String f : fields) {
            if (!f.equals("session_id")) {
                view.put(f, viewValue(f));
            }
        }
        return view;
    }

    /** The eras of vllm-kv-events.md §2 (fields after the tag), then the newest with and without session_id. */
    static Stream<Arguments> eras() {
        return Stream.of(
            Arguments.of("#16750", OLDER.subList(0, 5)),
            Arguments.of("+medium", OLDER.subList(0, 6)),
            Arguments.of("+lora_name", OLDER.subList(0, 7)),
            Arguments.of("+extra_keys", OLDER.subList(0, 8)),
            Arguments.of("+group_idx", OLDER.subList(0, 9)),
            Arguments.of("+kv_cache_spec", OLDER.subList(0, 11)),
            Arguments.of("+locality", OLDER.subList(0, 12)),
            Arguments.of("+ownership", OLDER),
            Arguments.of("+session_id without event_version", concat(OLDER, "session_id")),
            Arguments.of("newest", NEWEST),
            Arguments.of("newest+session_id", concat(NEWEST, "session_id")));
    }

    static List<String> concat(List<String> fields, String more) {
        String[] all = Arrays.copyOf(fields.toArray(new String[0]), fields.size() + 1);
        all[fields.size()] = more;
        return List.of(all);
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("eras")
    void shouldReadEveryFieldOfEachEraAtItsPosition(String era, List<String> fields) throws Exception {
        DecodedBatch b = decoder.decode(storedArray(fields, Map.of()));

        assertThat(EventView.of(b)).containsExactly(expectedView(fields));
        assertThat(b.skippedFields()).isZero();
    }

    /** The bug this fixes: one position table read the newest list shifted and dead-lettered the batch. */
    @Test
    void shouldDeliverTheNewestListThatOnePositionTableRejected() throws Exception {
        // event_version 1 at position 8: read as extra_keys by one table, then extra_keys (a list) as group_idx.
        DecodedBatch b = decoder.decode(storedArray(NEWEST, Map.of("event_version", 1)));

        BlockStored s = (BlockStored) b.events().get(0);
        assertThat(s.getEventVersion()).isEqualTo(1);
        assertThat(s.getGroupIdx()).isEqualTo(1);
        assertThat(s.getLocality()).hasToString("REMOTE");
        assertThat(s.getOwnership()).isEqualTo("req-1");
    }

    @Test
    void shouldTakeANilAtPositionEightAsExtraKeysOfTheOlderList() throws Exception {
        // 14 fields with nil extra_keys and then only nils until ownership: the older list plus session_id.
        Map<String, Object> nils = new LinkedHashMap<>();
        for (String f : List.of("extra_keys", "group_idx", "kv_cache_spec_kind", "kv_cache_spec_sliding_window",
                "locality")) {
            nils.put(f, null);
        }
        List<String> fields = concat(OLDER, "session_id");
        DecodedBatch b = decoder.decode(storedArray(fields, nils));

        Map<String, Object> expected = expectedView(fields);
        expected.keySet().removeAll(nils.keySet());
        assertThat(EventView.of(b)).containsExactly(expected);
    }

    @Test
    void shouldLetTheNextValueDecideWhenPositionEightIsMistyped() throws Exception {
        // A string at 8 is neither event_version nor extra_keys: skipped; a list at 9 can only be extra_keys.
        DecodedBatch newest = decoder.decode(storedArray(NEWEST, Map.of("event_version", "2")));
        Map<String, Object> expected = expectedView(NEWEST);
        expected.remove("event_version");
        assertThat(EventView.of(newest)).containsExactly(expected);
        assertThat(newest.skippedFields()).isOne();

        // An int at 9 can only be group_idx: the older list.
        DecodedBatch older = decoder.decode(storedArray(OLDER, Map.of("extra_keys", "not-a-list")));
        expected = expectedView(OLDER);
        expected.remove("extra_keys");
        assertThat(EventView.of(older)).containsExactly(expected);
        assertThat(older.skippedFields()).isOne();
    }

    @Test
    void shouldFallBackToTheCountWhenTypesCannotTell() throws Exception {
        // Mistyped at 8, then nils up to the first string, which both lists take (locality or ownership).
        Map<String, Object> overrides = new LinkedHashMap<>();
        overrides.put("event_version", true);
        for (String f : List.of("extra_keys", "group_idx", "kv_cache_spec_kind", "kv_cache_spec_sliding_window")) {
            overrides.put(f, null);
        }
        DecodedBatch fourteen = decoder.decode(storedArray(NEWEST, overrides));
        BlockStored s = (BlockStored) fourteen.events().get(0);
        assertThat(s.getLocality()).hasToString("REMOTE");  // 14 fields: the newest list
        assertThat(s.getOwnership()).isEqualTo("req-1");
        assertThat(fourteen.skippedFields()).isOne();

        overrides.remove("event_version");
        overrides.put("extra_keys", true);
        overrides.put("locality", null);
        DecodedBatch thirteen = decoder.decode(storedArray(OLDER, overrides));
        s = (BlockStored) thirteen.events().get(0);
        assertThat(s.getLocality()).isNull();  // 13 fields: the older list, the string is its ownership
        assertThat(s.getOwnership()).isEqualTo("req-1");
        assertThat(thirteen.skippedFields()).isOne();
    }

    @Test
    void shouldReadBlockRemovedOfEveryEra() throws Exception {
        DecodedBatch b = decoder.decode(batch(4, p -> {
            p.packArrayHeader(2).packString("BlockRemoved").packArrayHeader(1).packInt(1);
            removedArray(p, 2);  // + medium
            p.packArrayHeader(4).packString("BlockRemoved").packArrayHeader(1).packInt(3).packString("CPU").packInt(1);
            p.packArrayHeader(7).packString("BlockRemoved").packArrayHeader(1).packInt(4).packString("STORAGE")
                .packNil().packString("remote").packString("pod-b").packString("session-9");
        }));
        assertThat(EventView.of(b)).containsExactly(
            Map.of("type", "BlockRemoved", "block_hashes", List.of("1")),
            Map.of("type", "BlockRemoved", "block_hashes", List.of("2"), "medium", "GPU"),
            Map.of("type", "BlockRemoved", "block_hashes", List.of("3"), "medium", "CPU", "group_idx", 1L),
            Map.of("type", "BlockRemoved", "block_hashes", List.of("4"), "medium", "STORAGE", "locality", "REMOTE",
                "ownership", "pod-b"));
        assertThat(((BlockRemoved) b.events().get(3)).getLocality()).hasToString("REMOTE");
    }
}
