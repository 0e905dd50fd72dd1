package io.kvrelay.ingest.zmq;

import java.nio.charset.StandardCharsets;

/** Reading and writing the fixed parts of vLLM's ZeroMQ frames. */
final class Frames {
    private Frames() {
    }

    /** The sequence frame of vLLM's snapshot variant: 8-byte sequence, then the publisher's 16-byte incarnation id. */
    static final int SEQ_WITH_ID = 24;

    /** 8 bytes (every release), or 24 (sequence + publisher id, vLLM's snapshot variant). */
    static boolean isSequenceFrame(byte[] f) {
        return f.length == 8 || f.length == SEQ_WITH_ID;
    }

    /** vLLM's sequence frame: 8 bytes, unsigned big-endian (the first 8 of a 24-byte frame). */
    static long getLong(byte[] b) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[i] & 0xFF);
        }
        return v;
    }

    static void putLong(byte[] b, long v) {
        for (int i = 7; i >= 0; i--) {
            b[i] = (byte) v;
            v >>>= 8;
        }
    }

    /** vLLM's END_SEQ: {@code (-1).to_bytes(8, "big", signed=True)}. */
    static boolean isEndMarker(byte[] seq) {
        if (seq.length != 8) {
            return false;
        }
        for (byte b : seq) {
            if (b != (byte) 0xFF) {
                return false;
            }
        }
        return true;
    }

    static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
