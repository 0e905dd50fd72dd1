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
    String SPEC_FULL_ATTENTION = "full_attention";

    /** The msgspec tag: the vLLM class name. */
    String tag();

    /**
     * {@code BlockStored}: new full blocks chained from {@code parent} (null at the start of a prefix).
     *
     * @param tokenIds      all new blocks' tokens concatenated; may be empty (the CPU offload connector sends none)
     * @param extraKeys     one entry per block (entries may be null), or null for "not sent"; elements may be
     *                      String, Integer/Long, byte[], null or nested Lists
     * @param hashEncoding  overrides the encoder's hash encoding for this event (null = the encoder's), so one batch
     *                      can mix forms as Python ints may (the era-#16750 example has a uint64 and a negative int)
     */
    record Stored(long[] hashes, Long parent, int[] tokenIds, int blockSize, Integer loraId, String medium,
                  String loraName, List<?> extraKeys, Integer groupIdx, String specKind, Integer slidingWindow,
                  HashEncoding hashEncoding) implements SimEvent {
        public Stored {
            Objects.requireNonNull(hashes, "hashes");
            Objects.requireNonNull(tokenIds, "tokenIds");
            if (blockSize <= 0) {
                throw new IllegalArgumentException("blockSize must be > 0, got " + blockSize);
            }
        }

        /** A GPU BlockStored with only the fields every era has (lora, extra keys, group and spec unset). */
        public static Stored gpu(long[] hashes, Long parent, int[] tokenIds, int blockSize) {
            return new Stored(hashes, parent, tokenIds, blockSize, null, MEDIUM_GPU, null, null, null, null, null, null);
        }

        public Stored withHashEncoding(HashEncoding encoding) {
            return new Stored(hashes, parent, tokenIds, blockSize, loraId, medium, loraName, extraKeys, groupIdx,
                    specKind, slidingWindow, encoding);
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
                    && Objects.equals(loraName, s.loraName) && Objects.equals(extraKeys, s.extraKeys)
                    && Objects.equals(groupIdx, s.groupIdx) && Objects.equals(specKind, s.specKind)
                    && Objects.equals(slidingWindow, s.slidingWindow) && hashEncoding == s.hashEncoding;
        }

        @Override
        public int hashCode() {
            return Objects.hash(Arrays.hashCode(hashes), parent, Arrays.hashCode(tokenIds), blockSize, loraId, medium,
                    loraName, extraKeys, groupIdx, specKind, slidingWindow, hashEncoding);
        }

        @Override
        public String toString() {
            return "BlockStored[hashes=" + Hashes.toString(hashes) + ", parent="
                    + (parent == null ? "null" : Long.toUnsignedString(parent)) + ", tokens=" + tokenIds.length
                    + ", blockSize=" + blockSize + ", medium=" + medium + ", lora=" + loraName + "]";
        }
    }

    /** {@code BlockRemoved}: blocks evicted from {@code medium}. */
    record Removed(long[] hashes, String medium, Integer groupIdx, HashEncoding hashEncoding) implements SimEvent {
        public Removed {
            Objects.requireNonNull(hashes, "hashes");
        }

        public static Removed gpu(long... hashes) {
            return new Removed(hashes, MEDIUM_GPU, null, null);
        }

        public Removed withHashEncoding(HashEncoding encoding) {
            return new Removed(hashes, medium, groupIdx, encoding);
        }

        @Override
        public String tag() {
            return "BlockRemoved";
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Removed r && Arrays.equals(hashes, r.hashes) && Objects.equals(medium, r.medium)
                    && Objects.equals(groupIdx, r.groupIdx) && hashEncoding == r.hashEncoding;
        }

        @Override
        public int hashCode() {
            return Objects.hash(Arrays.hashCode(hashes), medium, groupIdx, hashEncoding);
        }

        @Override
        public String toString() {
            return "BlockRemoved[hashes=" + Hashes.toString(hashes) + ", medium=" + medium + "]";
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
