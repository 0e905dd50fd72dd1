package io.kvrelay.sim.wire;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One KV-cache event as vLLM's {@code KVCacheEvent} subclasses carry it. Nullable fields are written as nil (array
 * layouts) or omitted when msgspec would omit them (map layouts, fields that default to None). Hashes are 64-bit
 * values held as {@code long} bits and read as unsigned unless {@link HashEncoding#SIGNED_INT} applies.
 *
 * <p>Arrays inside the records are compared by content, so events can be asserted with {@code equals}.
 */
public sealed interface SimEvent permits SimEvent.Stored, SimEvent.Removed, SimEvent.Cleared, SimEvent.Unknown {

    String MEDIUM_GPU = "GPU";
    String MEDIUM_CPU = "CPU";
    /** Disk or remote-store offload (newest vLLM). */
    String MEDIUM_STORAGE = "STORAGE";
    String SPEC_FULL_ATTENTION = "full_attention";
    String LOCAL = "LOCAL";
    String REMOTE = "REMOTE";
    /** vLLM's default event_version; the newest map layout omits it while it holds this value. */
    int DEFAULT_EVENT_VERSION = 1;

    /** The msgspec tag: the vLLM class name. */
    String tag();

    /**
     * {@code BlockStored}: new full blocks chained from {@code parent} (null at the start of a prefix).
     *
     * @param tokenIds      all new blocks' tokens concatenated; may be empty (the CPU offload connector sends none)
     * @param eventVersion  the newest layouts' event_version (written in array form, in map form only when not 1);
     *                      older layouts do not carry it
     * @param extraKeys     one entry per block (entries may be null), or null for "not sent"; elements may be
     *                      String, Integer/Long, byte[], null, nested Lists or typed {@link ExtraKey}s
     * @param locality      "LOCAL"/"REMOTE" (any string is written as given), null for "not sent"; newest layouts only
     * @param ownership     newest layouts only; null for "not sent"
     * @param hashEncoding  overrides the encoder's hash encoding for this event (null = the encoder's), so one batch
     *                      can mix forms as Python ints may (the era-#16750 example has a uint64 and a negative int)
     */
    record Stored(long[] hashes, Long parent, int[] tokenIds, int blockSize, Integer loraId, String medium,
                  String loraName, int eventVersion, List<?> extraKeys, Integer groupIdx, String specKind,
                  Integer slidingWindow, String locality, String ownership, HashEncoding hashEncoding)
            implements SimEvent {
        public Stored {
            Objects.requireNonNull(hashes, "hashes");
            Objects.requireNonNull(tokenIds, "tokenIds");
            if (blockSize <= 0) {
                throw new IllegalArgumentException("blockSize must be > 0, got " + blockSize);
            }
        }

        /** The fields every layout before the newest has: event_version 1, locality and ownership unset. */
        public Stored(long[] hashes, Long parent, int[] tokenIds, int blockSize, Integer loraId, String medium,
                      String loraName, List<?> extraKeys, Integer groupIdx, String specKind, Integer slidingWindow,
                      HashEncoding hashEncoding) {
            this(hashes, parent, tokenIds, blockSize, loraId, medium, loraName, DEFAULT_EVENT_VERSION, extraKeys,
                    groupIdx, specKind, slidingWindow, null, null, hashEncoding);
        }

        /** A GPU BlockStored with only the fields every era has (lora, extra keys, group and spec unset). */
        public static Stored gpu(long[] hashes, Long parent, int[] tokenIds, int blockSize) {
            return new Stored(hashes, parent, tokenIds, blockSize, null, MEDIUM_GPU, null, null, null, null, null, null);
        }

        public Stored withHashEncoding(HashEncoding encoding) {
            return new Stored(hashes, parent, tokenIds, blockSize, loraId, medium, loraName, eventVersion, extraKeys,
                    groupIdx, specKind, slidingWindow, locality, ownership, encoding);
        }

        /** The same blocks with the newest layout's fields set. */
        public Stored withNewestFields(int version, String newLocality, String newOwnership) {
            return new Stored(hashes, parent, tokenIds, blockSize, loraId, medium, loraName, version, extraKeys,
                    groupIdx, specKind, slidingWindow, newLocality, newOwnership, hashEncoding);
        }

        public Stored withExtraKeys(List<?> keys) {
            return new Stored(hashes, parent, tokenIds, blockSize, loraId, medium, loraName, eventVersion, keys,
                    groupIdx, specKind, slidingWindow, locality, ownership, hashEncoding);
        }

        public Stored withMedium(String newMedium) {
            return new Stored(hashes, parent, tokenIds, blockSize, loraId, newMedium, loraName, eventVersion,
                    extraKeys, groupIdx, specKind, slidingWindow, locality, ownership, hashEncoding);
        }

        @Override
        public String tag() {
            return "BlockStored";
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Stored s && Arrays.equals(hashes, s.hashes) && Objects.equals(parent, s.parent)
                    && Arrays.equals(tokenIds, s.tokenIds) && blockSize == s.blockSize
                    && Objects.equals(loraId, s.loraId) && Objects.equals(medium, s.medium)
                    && Objects.equals(loraName, s.loraName) && eventVersion == s.eventVersion
                    && Objects.equals(extraKeys, s.extraKeys)
                    && Objects.equals(groupIdx, s.groupIdx) && Objects.equals(specKind, s.specKind)
                    && Objects.equals(slidingWindow, s.slidingWindow) && Objects.equals(locality, s.locality)
                    && Objects.equals(ownership, s.ownership) && hashEncoding == s.hashEncoding;
        }

        @Override
        public int hashCode() {
            return Objects.hash(Arrays.hashCode(hashes), parent, Arrays.hashCode(tokenIds), blockSize, loraId, medium,
                    loraName, eventVersion, extraKeys, groupIdx, specKind, slidingWindow, locality, ownership,
                    hashEncoding);
        }

        @Override
        public String toString() {
            return "BlockStored[hashes=" + Hashes.toString(hashes) + ", parent="
                    + (parent == null ? "null" : Long.toUnsignedString(parent)) + ", tokens=" + tokenIds.length
                    + ", blockSize=" + blockSize + ", medium=" + medium + ", lora=" + loraName
                    + (locality == null ? "" : ", locality=" + locality) + "]";
        }
    }

    /** {@code BlockRemoved}: blocks evicted from {@code medium}; locality and ownership exist in the newest layouts. */
    record Removed(long[] hashes, String medium, Integer groupIdx, String locality, String ownership,
                   HashEncoding hashEncoding) implements SimEvent {
        public Removed {
            Objects.requireNonNull(hashes, "hashes");
        }

        /** The fields every layout before the newest has. */
        public Removed(long[] hashes, String medium, Integer groupIdx, HashEncoding hashEncoding) {
            this(hashes, medium, groupIdx, null, null, hashEncoding);
        }

        public static Removed gpu(long... hashes) {
            return new Removed(hashes, MEDIUM_GPU, null, null);
        }

        public Removed withHashEncoding(HashEncoding encoding) {
            return new Removed(hashes, medium, groupIdx, locality, ownership, encoding);
        }

        public Removed withNewestFields(String newLocality, String newOwnership) {
            return new Removed(hashes, medium, groupIdx, newLocality, newOwnership, hashEncoding);
        }

        @Override
        public String tag() {
            return "BlockRemoved";
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Removed r && Arrays.equals(hashes, r.hashes) && Objects.equals(medium, r.medium)
                    && Objects.equals(groupIdx, r.groupIdx) && Objects.equals(locality, r.locality)
                    && Objects.equals(ownership, r.ownership) && hashEncoding == r.hashEncoding;
        }

        @Override
        public int hashCode() {
            return Objects.hash(Arrays.hashCode(hashes), medium, groupIdx, locality, ownership, hashEncoding);
        }

        @Override
        public String toString() {
            return "BlockRemoved[hashes=" + Hashes.toString(hashes) + ", medium=" + medium + "]";
        }
    }

    /**
     * One typed extra key of the newest vLLM, written as the map {@code {"type": type, key: value}} (plus
     * {@code "offset"} for multimodal keys). The inner names are this project's choice (vLLM's are not documented in
     * our notes); the bridge's decoder reads the same ones and falls back to the first string for others.
     *
     * @param value a String, byte[], Integer/Long or List (legacy tuples); never null
     */
    record ExtraKey(String type, String key, Object value, Long offset) {
        public ExtraKey {
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
        }

        /** The LoRA adapter's name. */
        public static ExtraKey lora(String name) {
            return new ExtraKey("lora", "name", name, null);
        }

        public static ExtraKey cacheSalt(String salt) {
            return new ExtraKey("cache_salt", "salt", salt, null);
        }

        /** A SHA-256 of the prompt embeddings. */
        public static ExtraKey promptEmbeds(byte[] hash) {
            return new ExtraKey("prompt_embeds", "hash", hash, null);
        }

        /** A multimodal item: its content identifier (String, or byte[] for a raw hash) and its start in the block. */
        public static ExtraKey mm(Object identifier, long offset) {
            return new ExtraKey("mm", "identifier", identifier, offset);
        }

        /** An untyped value of older vLLM, wrapped. */
        public static ExtraKey legacy(Object value) {
            return new ExtraKey("legacy", "value", value, null);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ExtraKey k && type.equals(k.type) && key.equals(k.key)
                    && Objects.deepEquals(value, k.value) && Objects.equals(offset, k.offset);
        }

        @Override
        public int hashCode() {
            return Objects.hash(type, key, value instanceof byte[] b ? Arrays.hashCode(b) : value, offset);
        }
    }

    /** {@code AllBlocksCleared}: no fields (a prefix-cache reset). */
    record Cleared() implements SimEvent {
        @Override
        public String tag() {
            return "AllBlocksCleared";
        }
    }

    /**
     * An event with a tag no consumer knows (a future vLLM class), written as {@code [tag, block_hashes]} or
     * {@code {"type": tag, "block_hashes": [...]}}: consumers must skip it and keep the rest of the batch.
     */
    record Unknown(String tag, long[] hashes) implements SimEvent {
        public Unknown {
            Objects.requireNonNull(tag, "tag");
            Objects.requireNonNull(hashes, "hashes");
            if (tag.equals("BlockStored") || tag.equals("BlockRemoved") || tag.equals("AllBlocksCleared")) {
                throw new IllegalArgumentException("Unknown needs a tag vLLM does not define, got " + tag);
            }
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Unknown u && tag.equals(u.tag) && Arrays.equals(hashes, u.hashes);
        }

        @Override
        public int hashCode() {
            return 31 * tag.hashCode() + Arrays.hashCode(hashes);
        }

        @Override
        public String toString() {
            return "Unknown[tag=" + tag + ", hashes=" + Hashes.toString(hashes) + "]";
        }
    }

    /** Formatting of hash arrays as unsigned decimals, the form vLLM logs and the fixtures' manifest use. */
    final class Hashes {
        private Hashes() {
        }

        static String toString(long[] hashes) {
            StringBuilder sb = new StringBuilder("[");
            for (int i = 0; i < hashes.length; i++) {
                if (i > 0) {
                    sb.append(", ");
                }
                if (i == 8) {
                    sb.append("... ").append(hashes.length - 8).append(" more");
                    break;
                }
                sb.append(Long.toUnsignedString(hashes[i]));
            }
            return sb.append(']').toString();
        }
    }
}
