package io.kvrelay.sim.wire;

import static io.kvrelay.sim.wire.WireKeys.ALL_CLEARED;
import static io.kvrelay.sim.wire.WireKeys.BLOCK_HASHES;
import static io.kvrelay.sim.wire.WireKeys.BLOCK_REMOVED;
import static io.kvrelay.sim.wire.WireKeys.BLOCK_SIZE;
import static io.kvrelay.sim.wire.WireKeys.BLOCK_STORED;
import static io.kvrelay.sim.wire.WireKeys.DP_RANK;
import static io.kvrelay.sim.wire.WireKeys.EVENTS;
import static io.kvrelay.sim.wire.WireKeys.EVENT_VERSION;
import static io.kvrelay.sim.wire.WireKeys.EXTRA_KEYS;
import static io.kvrelay.sim.wire.WireKeys.GROUP_IDX;
import static io.kvrelay.sim.wire.WireKeys.LOCALITY;
import static io.kvrelay.sim.wire.WireKeys.LORA_ID;
import static io.kvrelay.sim.wire.WireKeys.LORA_NAME;
import static io.kvrelay.sim.wire.WireKeys.MEDIUM;
import static io.kvrelay.sim.wire.WireKeys.OFFSET;
import static io.kvrelay.sim.wire.WireKeys.OWNERSHIP;
import static io.kvrelay.sim.wire.WireKeys.PARENT;
import static io.kvrelay.sim.wire.WireKeys.SLIDING_WINDOW;
import static io.kvrelay.sim.wire.WireKeys.SPEC_KIND;
import static io.kvrelay.sim.wire.WireKeys.TOKEN_IDS;
import static io.kvrelay.sim.wire.WireKeys.TS;
import static io.kvrelay.sim.wire.WireKeys.TYPE;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Objects;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;

/**
 * Encodes a {@code KVEventBatch} exactly as msgspec does for one {@link PayloadLayout} era: array-like structs in
 * declaration order with the class name as tag, or tagged maps that omit None-defaulted fields; floats as float64,
 * ints in their smallest form, strings as fixstr/str8.
 *
 * <p>Not thread-safe: it reuses one packer and scratch buffers, so keep one per publisher.
 */
public final class PayloadEncoder {
    private static final byte UINT64 = (byte) 0xcf;
    private static final byte BIN8 = (byte) 0xc4;
    private static final int DIGEST_LENGTH = 32;

    private final PayloadLayout layout;
    private final HashEncoding hashEncoding;
    private final DigestPrefix digestPrefix;
    private final MessageBufferPacker packer;
    private final byte[] uint64 = new byte[9];
    private final byte[] digest = new byte[2 + DIGEST_LENGTH];
    private final byte[] prefix = new byte[DigestPrefix.LENGTH];

    public PayloadEncoder(PayloadLayout layout, HashEncoding hashEncoding) {
        this(layout, hashEncoding, DigestPrefix.MIXED);
    }

    public PayloadEncoder(PayloadLayout layout, HashEncoding hashEncoding, DigestPrefix digestPrefix) {
        this.layout = Objects.requireNonNull(layout, "layout");
        this.hashEncoding = Objects.requireNonNull(hashEncoding, "hashEncoding");
        this.digestPrefix = Objects.requireNonNull(digestPrefix, "digestPrefix");
        // 4 KiB covers a typical batch in one buffer; larger batches grow it once and the packer keeps it.
        this.packer = MessagePack.DEFAULT_PACKER_CONFIG.withBufferSize(4096).newBufferPacker();
        uint64[0] = UINT64;
        digest[0] = BIN8;
        digest[1] = (byte) DIGEST_LENGTH;
    }

    public PayloadLayout layout() {
        return layout;
    }

    public HashEncoding hashEncoding() {
        return hashEncoding;
    }

    /**
     * One payload: {@code ts} as vLLM's {@code time.time()}, {@code dpRank} null for "not set" (written as nil; the
     * era-#16750 layout has no rank at all).
     */
    public byte[] encode(double ts, Integer dpRank, List<? extends SimEvent> events) {
        Objects.requireNonNull(events, "events");
        try {
            packer.clear();
            switch (layout) {
                case ARRAY_LEGACY -> {
                    packer.packArrayHeader(2);
                    packer.packDouble(ts);
                    writeEvents(events);
                }
                case ARRAY_FULL, MAP_EVENTS, NEWEST_ARRAY, NEWEST_MAP -> {
                    packer.packArrayHeader(3);
                    packer.packDouble(ts);
                    writeEvents(events);
                    writeNullableInt(dpRank);
                }
                case MAP_ENVELOPE -> {
                    // data_parallel_rank is written even when nil: nothing shows this envelope omitting it.
                    packer.packMapHeader(3);
                    packer.writePayload(TS).packDouble(ts);
                    packer.writePayload(EVENTS);
                    writeEvents(events);
                    packer.writePayload(DP_RANK);
                    writeNullableInt(dpRank);
                }
            }
            return packer.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException("in-memory msgpack packing failed", e);
        }
    }

    private void writeEvents(List<? extends SimEvent> events) throws IOException {
        packer.packArrayHeader(events.size());
        for (SimEvent event : events) {
            if (event instanceof SimEvent.Stored s) {
                writeStored(s);
            } else if (event instanceof SimEvent.Removed r) {
                writeRemoved(r);
            } else if (event instanceof SimEvent.Cleared) {
                if (layout.mapEvents()) {
                    packer.packMapHeader(1).writePayload(TYPE);
                } else {
                    packer.packArrayHeader(1);
                }
                packer.writePayload(ALL_CLEARED);
            } else {
                SimEvent.Unknown u = (SimEvent.Unknown) event;
                if (layout.mapEvents()) {
                    packer.packMapHeader(2).writePayload(TYPE).packString(u.tag()).writePayload(BLOCK_HASHES);
                } else {
                    packer.packArrayHeader(2).packString(u.tag());
                }
                writeHashes(u.hashes(), null);
            }
        }
    }

    private void writeStored(SimEvent.Stored s) throws IOException {
        if (layout.mapEvents()) {
            writeStoredMap(s);
        } else {
            writeStoredArray(s);
        }
    }

    private void writeStoredMap(SimEvent.Stored s) throws IOException {
        HashEncoding enc = s.hashEncoding();
        boolean newest = layout.newestFields();
        boolean version = newest && s.eventVersion() != SimEvent.DEFAULT_EVENT_VERSION;
        // Fields without a default are always written; those with a default are omitted while they hold it.
        int size = 8 + present(s.extraKeys()) + present(s.groupIdx()) + present(s.specKind())
                + present(s.slidingWindow());
        if (newest) {
            size += (version ? 1 : 0) + present(s.locality()) + present(s.ownership());
        }
        packer.packMapHeader(size).writePayload(TYPE).writePayload(BLOCK_STORED);
        packer.writePayload(BLOCK_HASHES);
        writeHashes(s.hashes(), enc);
        packer.writePayload(PARENT);
        writeNullableHash(s.parent(), enc);
        packer.writePayload(TOKEN_IDS);
        writeTokens(s.tokenIds());
        packer.writePayload(BLOCK_SIZE).packInt(s.blockSize());
        packer.writePayload(LORA_ID);
        writeNullableInt(s.loraId());
        packer.writePayload(MEDIUM);
        writeNullableString(s.medium());
        packer.writePayload(LORA_NAME);
        writeNullableString(s.loraName());
        if (version) {
            packer.writePayload(EVENT_VERSION).packInt(s.eventVersion());
        }
        if (s.extraKeys() != null) {
            packer.writePayload(EXTRA_KEYS);
            writeValue(s.extraKeys());
        }
        if (s.groupIdx() != null) {
            packer.writePayload(GROUP_IDX).packInt(s.groupIdx());
        }
        if (s.specKind() != null) {
            packer.writePayload(SPEC_KIND).packString(s.specKind());
        }
        if (s.slidingWindow() != null) {
            packer.writePayload(SLIDING_WINDOW).packInt(s.slidingWindow());
        }
        if (newest && s.locality() != null) {
            packer.writePayload(LOCALITY).packString(s.locality());
        }
        if (newest && s.ownership() != null) {
            packer.writePayload(OWNERSHIP).packString(s.ownership());
        }
    }

    private void writeStoredArray(SimEvent.Stored s) throws IOException {
        HashEncoding enc = s.hashEncoding();
        // msgspec's array_like keeps trailing defaults (issue #720), so the length is the era's field count + tag.
        int fields = switch (layout) {
            case ARRAY_LEGACY -> 5;
            case NEWEST_ARRAY -> 14;
            default -> 11;
        };
        packer.packArrayHeader(1 + fields).writePayload(BLOCK_STORED);
        writeHashes(s.hashes(), enc);
        writeNullableHash(s.parent(), enc);
        writeTokens(s.tokenIds());
        packer.packInt(s.blockSize());
        writeNullableInt(s.loraId());
        if (fields == 5) {
            return;
        }
        writeNullableString(s.medium());
        writeNullableString(s.loraName());
        if (fields == 14) {
            packer.packInt(s.eventVersion());
        }
        writeValue(s.extraKeys());
        writeNullableInt(s.groupIdx());
        writeNullableString(s.specKind());
        writeNullableInt(s.slidingWindow());
        if (fields == 14) {
            writeNullableString(s.locality());
            writeNullableString(s.ownership());
        }
    }

    private void writeRemoved(SimEvent.Removed r) throws IOException {
        boolean newest = layout.newestFields();
        if (layout.mapEvents()) {
            int size = 3 + present(r.groupIdx()) + (newest ? present(r.locality()) + present(r.ownership()) : 0);
            packer.packMapHeader(size).writePayload(TYPE).writePayload(BLOCK_REMOVED);
            packer.writePayload(BLOCK_HASHES);
            writeHashes(r.hashes(), r.hashEncoding());
            packer.writePayload(MEDIUM);
            writeNullableString(r.medium());
            if (r.groupIdx() != null) {
                packer.writePayload(GROUP_IDX).packInt(r.groupIdx());
            }
            if (newest && r.locality() != null) {
                packer.writePayload(LOCALITY).packString(r.locality());
            }
            if (newest && r.ownership() != null) {
                packer.writePayload(OWNERSHIP).packString(r.ownership());
            }
            return;
        }
        int fields = layout == PayloadLayout.ARRAY_LEGACY ? 1 : newest ? 5 : 3;
        packer.packArrayHeader(1 + fields).writePayload(BLOCK_REMOVED);
        writeHashes(r.hashes(), r.hashEncoding());
        if (fields >= 3) {
            writeNullableString(r.medium());
            writeNullableInt(r.groupIdx());
        }
        if (fields == 5) {
            writeNullableString(r.locality());
            writeNullableString(r.ownership());
        }
    }

    private void writeHashes(long[] hashes, HashEncoding override) throws IOException {
        HashEncoding enc = override != null ? override : hashEncoding;
        packer.packArrayHeader(hashes.length);
        for (long h : hashes) {
            writeHash(h, enc);
        }
    }

    private void writeNullableHash(Long hash, HashEncoding override) throws IOException {
        if (hash == null) {
            packer.packNil();
        } else {
            writeHash(hash, override != null ? override : hashEncoding);
        }
    }

    private void writeHash(long h, HashEncoding enc) throws IOException {
        switch (enc) {
            case SIGNED_INT -> packer.packLong(h);
            case INT -> {
                if (h >= 0) {
                    packer.packLong(h);
                } else {
                    // Unsigned value >= 2^63: msgpack-core has no unsigned pack without BigInteger, so write cf raw.
                    putLong(uint64, 1, h);
                    packer.writePayload(uint64);
                }
            }
            case BYTES -> {
                digestPrefix.fill(h, prefix);
                System.arraycopy(prefix, 0, digest, 2, DigestPrefix.LENGTH);
                putLong(digest, 2 + DigestPrefix.LENGTH, h);
                packer.writePayload(digest);
            }
        }
    }

    private void writeTokens(int[] tokens) throws IOException {
        packer.packArrayHeader(tokens.length);
        for (int t : tokens) {
            packer.packInt(t);
        }
    }

    private void writeNullableInt(Integer value) throws IOException {
        if (value == null) {
            packer.packNil();
        } else {
            packer.packInt(value);
        }
    }

    private void writeNullableString(String value) throws IOException {
        if (value == null) {
            packer.packNil();
        } else {
            packer.packString(value);
        }
    }

    /**
     * Extra keys: arbitrary Python values in older vLLM (tuples of strings/ints for LoRA, multimodal and cache-salt
     * keys), typed tagged structs in the newest (written as maps in both layouts).
     */
    private void writeValue(Object value) throws IOException {
        if (value instanceof SimEvent.ExtraKey k) {
            packer.packMapHeader(k.offset() == null ? 2 : 3).writePayload(TYPE).packString(k.type());
            packer.packString(k.key());
            writeValue(k.value());
            if (k.offset() != null) {
                packer.writePayload(OFFSET).packLong(k.offset());
            }
        } else if (value == null) {
            packer.packNil();
        } else if (value instanceof String s) {
            packer.packString(s);
        } else if (value instanceof Integer || value instanceof Long || value instanceof Short) {
            packer.packLong(((Number) value).longValue());
        } else if (value instanceof byte[] b) {
            packer.packBinaryHeader(b.length).writePayload(b);
        } else if (value instanceof List<?> list) {
            packer.packArrayHeader(list.size());
            for (Object o : list) {
                writeValue(o);
            }
        } else {
            throw new IllegalArgumentException("extra key of unsupported type " + value.getClass().getName());
        }
    }

    private static int present(Object o) {
        return o == null ? 0 : 1;
    }

    private static void putLong(byte[] out, int offset, long v) {
        for (int i = 0; i < 8; i++) {
            out[offset + i] = (byte) (v >>> (56 - 8 * i));
        }
    }
}
