package io.kvrelay.sim.wire;

/** How block hashes (64-bit values held as {@code long} bits) are written. */
public enum HashEncoding {
    /**
     * vLLM's default since #23673 ({@code VLLM_KV_EVENTS_USE_INT_BLOCK_HASHES=1}): the low 64 bits of the digest as an
     * unsigned Python int, so msgspec writes the smallest int form and values at or above 2^63 as uint64 ({@code cf}).
     */
    INT,
    /**
     * Before #23673 the builtin hash gave signed 64-bit ints: the same bits written as a signed msgpack int, so values
     * with the top bit set appear negative (e.g. {@code fb} for -5).
     */
    SIGNED_INT,
    /**
     * {@code VLLM_KV_EVENTS_USE_INT_BLOCK_HASHES=0}: the raw 32-byte digest as {@code bin8} ({@code c4 20}); its last 8
     * bytes, big-endian, are the 64-bit hash, which is what consumers that take the low 64 bits recover.
     */
    BYTES
}
