package io.kvrelay.schemas;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.PrimitivesArrays;

/**
 * Avro's binary encoding, written straight into a reused buffer: what the fast encoders ({@link KvEventBatchEncoder},
 * the router's decision encoder) are made of. Each encoder writes its record's fields in schema order with these
 * primitives, and its test compares the bytes with Avro's own writer. Not thread-safe: one per encoder.
 */
public final class AvroWriter {
    private byte[] buf;
    private int pos;

    public AvroWriter(int initialBytes) {
        this.buf = new byte[initialBytes];
    }

    /** The 10-byte single-object header of a schema: marker C3 01, then its parsing fingerprint, little-endian. */
    public static byte[] singleObjectHeader(Schema schema) {
        long fp = SchemaNormalization.parsingFingerprint64(schema);
        byte[] h = new byte[10];
        h[0] = (byte) 0xC3;
        h[1] = 0x01;
        for (int i = 0; i < 8; i++) {
            h[2 + i] = (byte) (fp >>> (8 * i));
        }
        return h;
    }

    /** Starts a new record with these bytes (the single-object header). */
    public void start(byte[] header) {
        pos = 0;
        raw(header);
    }

    /** A new array holding exactly what was written since {@link #start}. */
    public byte[] toByteArray() {
        return Arrays.copyOf(buf, pos);
    }

    public void raw(byte[] b) {
        ensure(b.length);
        System.arraycopy(b, 0, buf, pos, b.length);
        pos += b.length;
    }

    /** Avro int: zig-zag, then base-128 varint. */
    public void varint(int v) {
        ensure(5);
        int z = (v << 1) ^ (v >> 31);
        while ((z & ~0x7F) != 0) {
            buf[pos++] = (byte) ((z & 0x7F) | 0x80);
            z >>>= 7;
        }
        buf[pos++] = (byte) z;
    }

    /** Avro long (also every array and map block count). */
    public void varlong(long v) {
        ensure(10);
        pos = putVarlong(buf, pos, v);
    }

    public void bool(boolean v) {
        ensure(1);
        buf[pos++] = (byte) (v ? 1 : 0);
    }

    /** Avro double: the IEEE 754 bits, little-endian. */
    public void dbl(double v) {
        ensure(8);
        long bits = Double.doubleToRawLongBits(v);
        for (int i = 0; i < 8; i++) {
            buf[pos++] = (byte) (bits >>> (8 * i));
        }
    }

    /** Avro string: byte length, then UTF-8. Names, ids and reasons are mostly ASCII: written char by char. */
    public void string(String s) {
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
                raw(b);
                return;
            }
            buf[pos++] = (byte) c;
        }
        if (n < 64) {
            buf[lengthAt] = (byte) (n << 1); // zig-zag of a small non-negative int
        } else {
            // a length needing more than one varint byte: shift the body right by the extra bytes
            int extra = varlongSize(n) - 1;
            ensure(extra);
            System.arraycopy(buf, lengthAt + 1, buf, lengthAt + 1 + extra, n);
            int end = pos + extra;
            pos = lengthAt;
            varlong(n);
            pos = end;
        }
    }

    /** An array of longs, without unboxing when it is Avro's primitive array. */
    public void longs(List<Long> values) {
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

    /** An array of ints, without unboxing when it is Avro's primitive array. */
    public void ints(List<Integer> values) {
        int n = values.size();
        if (n > 0) {
            varlong(n);
            ensure(5 * n);
            if (values instanceof PrimitivesArrays.IntArray a) {
                for (int i = 0; i < n; i++) {
                    varint(a.getInt(i));
                }
            } else {
                for (Integer v : values) {
                    varint(v);
                }
            }
        }
        varlong(0);
    }

    /** The union index of a ["null", T] union: 0 for null, else 1 (T then follows). */
    private boolean present(Object v) {
        varint(v == null ? 0 : 1);
        return v != null;
    }

    public void nullableString(String s) {
        if (present(s)) {
            string(s);
        }
    }

    public void nullableInt(Integer v) {
        if (present(v)) {
            varint(v);
        }
    }

    public void nullableLong(Long v) {
        if (present(v)) {
            varlong(v);
        }
    }

    public void nullableDouble(Double v) {
        if (present(v)) {
            dbl(v);
        }
    }

    public void nullableEnum(Enum<?> v) {
        if (present(v)) {
            varint(v.ordinal());
        }
    }

    public void nullableBytes(ByteBuffer v) {
        if (present(v)) {
            ByteBuffer d = v.duplicate();
            int n = d.remaining();
            varlong(n);
            ensure(n);
            d.get(buf, pos, n);
            pos += n;
        }
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

    private static int varlongSize(long v) {
        long z = (v << 1) ^ (v >> 63);
        int size = 1;
        while ((z & ~0x7FL) != 0) {
            z >>>= 7;
            size++;
        }
        return size;
    }

    private void ensure(int more) {
        if (pos + more > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + more));
        }
    }
}
