package io.kvrelay.router.decisions;

import io.kvrelay.schemas.avro.CandidateScore;
import io.kvrelay.schemas.avro.RouteDecision;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.PrimitivesArrays;

/**
 * Writes a {@link RouteDecision} in Avro single-object encoding, byte for byte what
 * {@code AvroCodec.routeDecisions().encode} writes (consumers of the route-decisions topic cannot tell them apart), in
 * the style of the bridge's {@code KvEventBatchEncoder}: fields in schema order straight into a reused buffer, block
 * keys without unboxing when they come as Avro's primitive arrays, ASCII strings without an intermediate byte array.
 * Avro's generic writer resolves the schema per field and boxes every block key and score.
 *
 * <p>It follows the field order of {@code RouteDecision.avsc}; {@code RouteDecisionEncoderTest} compares its output
 * with Avro's own on many records of every shape, so a schema change not mirrored here fails the build. Not
 * thread-safe (reuses its buffer): one per thread.
 */
public final class RouteDecisionEncoder {
    private static final byte[] HEADER = header();

    private byte[] buf = new byte[2048];
    private int pos;

    private static byte[] header() {
        long fp = SchemaNormalization.parsingFingerprint64(RouteDecision.getClassSchema());
        byte[] h = new byte[10];
        h[0] = (byte) 0xC3;
        h[1] = 0x01;
        for (int i = 0; i < 8; i++) {
            h[2 + i] = (byte) (fp >>> (8 * i)); // little-endian, as the single-object spec says
        }
        return h;
    }

    /**
     * @return a new array holding exactly the encoded record
     * @throws NullPointerException when a field the schema does not allow to be null is null (as Avro would refuse it)
     */
    public byte[] encode(RouteDecision d) {
        pos = 0;
        ensure(HEADER.length);
        System.arraycopy(HEADER, 0, buf, 0, HEADER.length);
        pos = HEADER.length;
        string(d.getNamespace());
        string(d.getService());
        nullableString(d.getUserId());
        nullableString(d.getLoraName());
        longs(d.getBlockKeys());
        nullableString(d.getChosenPod());
        string(d.getReason());
        bool(d.getSticky());
        bool(d.getRedisAvailable());
        bool(d.getIndexAvailable());
        List<CandidateScore> candidates = d.getCandidates();
        if (!candidates.isEmpty()) {
            varlong(candidates.size());
            for (CandidateScore c : candidates) {
                string(c.getPod());
                varint(c.getMatched());
                varint(c.getGpuMatched());
                dbl(c.getCost());
                nullableInt(c.getRunning());
                nullableInt(c.getWaiting());
                nullableDouble(c.getKvCacheUsage());
                nullableDouble(c.getQueuedMs());
            }
        }
        varlong(0);
        varlong(d.getLatencyMicros());
        varlong(d.getAtMicros());
        string(d.getRouterId());
        nullableDouble(d.getPrefillMs());
        return Arrays.copyOf(buf, pos);
    }

    private void longs(List<Long> values) {
        int n = values.size();
        if (n > 0) {
            varlong(n);
            ensure(10 * n);
            // buffer and position in locals: the JIT keeps them in registers across the loop
            byte[] b = buf;
            int p = pos;
            if (values instanceof PrimitivesArrays.LongArray a) {
                for (int i = 0; i < n; i++) {
                    p = putVarlong(b, p, a.getLong(i));
                }
            } else {
                for (int i = 0; i < n; i++) {
                    p = putVarlong(b, p, values.get(i));
                }
            }
            pos = p;
        }
        varlong(0);
    }

    /** Avro long at {@code p} (room checked by the caller); returns the position after it. */
    private static int putVarlong(byte[] b, int p, long v) {
        long z = (v << 1) ^ (v >> 63);
        while ((z & ~0x7FL) != 0) {
            b[p++] = (byte) ((z & 0x7F) | 0x80);
            z >>>= 7;
        }
        b[p++] = (byte) z;
        return p;
    }

    private void bool(boolean v) {
        ensure(1);
        buf[pos++] = (byte) (v ? 1 : 0);
    }

    private void nullableInt(Integer v) {
        if (v == null) {
            varint(0);
        } else {
            varint(1);
            varint(v);
        }
    }

    private void nullableDouble(Double v) {
        if (v == null) {
            varint(0);
        } else {
            varint(1);
            dbl(v);
        }
    }

    private void nullableString(String s) {
        if (s == null) {
            varint(0);
        } else {
            varint(1);
            string(s);
        }
    }

    /** Avro string: byte length, then UTF-8. Pod names, ids and reasons are ASCII: written char by char. */
    private void string(String s) {
        int n = s.length();
        ensure(5 + n);
        int lengthAt = pos;
        pos++; // one byte of length covers up to 63 bytes; longer strings are moved once it is known
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x80) {
                pos = lengthAt;
                byte[] b = s.getBytes(StandardCharsets.UTF_8);
                varlong(b.length);
                ensure(b.length);
                System.arraycopy(b, 0, buf, pos, b.length);
                pos += b.length;
                return;
            }
            buf[pos++] = (byte) c;
        }
        if (n < 64) {
            buf[lengthAt] = (byte) (n << 1); // zig-zag of a small non-negative int
        } else {
            // rare: a length needing more than one varint byte; shift the body right by the extra bytes
            int extra = varlongSize(n) - 1;
            ensure(extra);
            System.arraycopy(buf, lengthAt + 1, buf, lengthAt + 1 + extra, n);
            int end = pos + extra;
            pos = lengthAt;
            varlong(n);
            pos = end;
        }
    }

    private static int varlongSize(long v) {
        long z = (v << 1) ^ (v >> 63);
        int size = 1;
        while ((z & ~0x7FL) != 0) {
            z >>>= 7;
            size++;
        }
        return size;
    }

    /** Avro double: the IEEE 754 bits, little-endian. */
    private void dbl(double v) {
        ensure(8);
        long bits = Double.doubleToRawLongBits(v);
        for (int i = 0; i < 8; i++) {
            buf[pos++] = (byte) (bits >>> (8 * i));
        }
    }

    /** Avro int: zig-zag, then base-128 varint. */
    private void varint(int v) {
        ensure(5);
        int z = (v << 1) ^ (v >> 31);
        while ((z & ~0x7F) != 0) {
            buf[pos++] = (byte) ((z & 0x7F) | 0x80);
            z >>>= 7;
        }
        buf[pos++] = (byte) z;
    }

    private void varlong(long v) {
        ensure(10);
        long z = (v << 1) ^ (v >> 63);
        while ((z & ~0x7FL) != 0) {
            buf[pos++] = (byte) ((z & 0x7F) | 0x80);
            z >>>= 7;
        }
        buf[pos++] = (byte) z;
    }

    private void ensure(int more) {
        if (pos + more > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + more));
        }
    }
}
