package io.kvrelay.sim.zmq;

import java.util.UUID;

/**
 * The sequence frame of a PUB message and of a replay reply: released vLLM sends the 8-byte sequence; the snapshot
 * variant (open vLLM pull requests) appends a 16-byte publisher id that changes with each incarnation of the process.
 */
public enum SeqFrame {
    /** {@code seq} as 8 bytes, unsigned big-endian (every vLLM release). */
    SEQ8(8),
    /** {@code seq} (8 bytes) then the publisher id (16 bytes, the UUID's most then least significant half). */
    SEQ8_PUBLISHER_ID(24);

    private static final long END_SEQ = -1L;

    private final int length;

    SeqFrame(int length) {
        this.length = length;
    }

    public int length() {
        return length;
    }

    /** A fresh array each call: JeroMQ wraps, not copies, the arrays of queued messages. */
    public byte[] encode(long seq, UUID publisherId) {
        byte[] b = new byte[length];
        putLong(b, 0, seq);
        if (this == SEQ8_PUBLISHER_ID) {
            putLong(b, 8, publisherId.getMostSignificantBits());
            putLong(b, 16, publisherId.getLeastSignificantBits());
        }
        return b;
    }

    /** The replay end marker's sequence frame: {@code ff x 8}, followed by the publisher id in the 24-byte form. */
    public byte[] endMarker(UUID publisherId) {
        return encode(END_SEQ, publisherId);
    }

    /** The sequence of an 8- or 24-byte frame. */
    public static long seqOf(byte[] frame) {
        requireLength(frame);
        return getLong(frame, 0);
    }

    /** The publisher id of a 24-byte frame, or null for an 8-byte one. */
    public static UUID publisherIdOf(byte[] frame) {
        requireLength(frame);
        return frame.length == 8 ? null : new UUID(getLong(frame, 8), getLong(frame, 16));
    }

    private static void requireLength(byte[] frame) {
        if (frame.length != 8 && frame.length != 24) {
            throw new IllegalArgumentException("a sequence frame has 8 or 24 bytes, got " + frame.length);
        }
    }

    private static void putLong(byte[] b, int at, long v) {
        for (int i = 0; i < 8; i++) {
            b[at + i] = (byte) (v >>> (56 - 8 * i));
        }
    }

    private static long getLong(byte[] b, int at) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[at + i] & 0xFF);
        }
        return v;
    }
}
