package io.kvrelay.ingest.decode;

import java.nio.charset.StandardCharsets;

/**
 * The wire's names, as small int ids plus their text and pre-encoded UTF-8. Keys and tags are matched as raw bytes
 * (no String per key), and the decoder remembers its location as ids: storing an int costs nothing, while storing a
 * String reference into a long-lived object costs a GC write barrier on every field of every event.
 */
final class Names {
    private Names() {
    }

    // Event fields, in BlockStored's declaration order before event_version (see EventReader for the eras).
    static final int HASHES = 0, PARENT = 1, TOKENS = 2, BLOCK_SIZE = 3, LORA_ID = 4, MEDIUM = 5, LORA_NAME = 6,
        EXTRA_KEYS = 7, GROUP_IDX = 8, SPEC_KIND = 9, SPEC_WINDOW = 10, LOCALITY = 11, OWNERSHIP = 12,
        EVENT_VERSION = 13, TYPE = 14;
    // Batch fields, looked up in their own table but named from the same array.
    static final int TS = 15, EVENTS = 16, RANK = 17, NONE = -1;

    static final String[] FIELDS = {"block_hashes", "parent_block_hash", "token_ids", "block_size", "lora_id",
        "medium", "lora_name", "extra_keys", "group_idx", "kv_cache_spec_kind", "kv_cache_spec_sliding_window",
        "locality", "ownership", "event_version", "type", "ts", "events", "data_parallel_rank"};
    static final byte[][] EVENT_KEYS = utf8(0, TYPE + 1);
    /** Index i here is field id TS + i. */
    static final byte[][] BATCH_KEYS = utf8(TS, RANK + 1);

    static final int STORED = 0, REMOVED = 1, CLEARED = 2, UNKNOWN_TYPE = -1, NO_TYPE_YET = -2;
    static final String[] TYPES = {"BlockStored", "BlockRemoved", "AllBlocksCleared"};
    static final byte[][] TYPE_TAGS = utf8(TYPES);

    /** locality values, matched ignoring ASCII case; any other string is UNKNOWN_LOCALITY. */
    static final byte[][] LOCALITIES = utf8("local", "remote");

    private static byte[][] utf8(int from, int to) {
        String[] names = new String[to - from];
        System.arraycopy(FIELDS, from, names, 0, names.length);
        return utf8(names);
    }

    static byte[][] utf8(String... names) {
        byte[][] out = new byte[names.length][];
        for (int i = 0; i < names.length; i++) {
            out[i] = names[i].getBytes(StandardCharsets.UTF_8);
        }
        return out;
    }
}
