package io.kvrelay.sim.wire;

import java.nio.charset.StandardCharsets;

/**
 * The constant strings of a payload (tags, map keys), each pre-encoded once as a complete msgpack fixstr: they are
 * most of a payload's strings, and writing them as raw bytes skips UTF-8 encoding on every batch.
 */
final class WireKeys {
    static final byte[] TYPE = str("type");
    static final byte[] TS = str("ts");
    static final byte[] EVENTS = str("events");
    static final byte[] DP_RANK = str("data_parallel_rank");
    static final byte[] BLOCK_STORED = str("BlockStored");
    static final byte[] BLOCK_REMOVED = str("BlockRemoved");
    static final byte[] ALL_CLEARED = str("AllBlocksCleared");
    static final byte[] BLOCK_HASHES = str("block_hashes");
    static final byte[] PARENT = str("parent_block_hash");
    static final byte[] TOKEN_IDS = str("token_ids");
    static final byte[] BLOCK_SIZE = str("block_size");
    static final byte[] LORA_ID = str("lora_id");
    static final byte[] MEDIUM = str("medium");
    static final byte[] LORA_NAME = str("lora_name");
    static final byte[] EXTRA_KEYS = str("extra_keys");
    static final byte[] GROUP_IDX = str("group_idx");
    static final byte[] SPEC_KIND = str("kv_cache_spec_kind");
    static final byte[] SLIDING_WINDOW = str("kv_cache_spec_sliding_window");
    static final byte[] EVENT_VERSION = str("event_version");
    static final byte[] LOCALITY = str("locality");
    static final byte[] OWNERSHIP = str("ownership");
    static final byte[] OFFSET = str("offset");

    private WireKeys() {
    }

    private static byte[] str(String s) {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        if (utf8.length > 31) {
            throw new IllegalStateException("constant key longer than a fixstr: " + s);
        }
        byte[] out = new byte[utf8.length + 1];
        out[0] = (byte) (0xa0 | utf8.length);
        System.arraycopy(utf8, 0, out, 1, utf8.length);
        return out;
    }
}
