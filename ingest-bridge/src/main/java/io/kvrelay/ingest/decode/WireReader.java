package io.kvrelay.ingest.decode;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.avro.generic.PrimitivesArrays.IntArray;
import org.msgpack.core.MessageFormat;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.core.buffer.ArrayBufferInput;
import org.msgpack.value.ValueType;

/**
 * A msgpack cursor over one payload: typed reads with the checks the decoder needs, and the location (event index,
 * event type, field) that every {@link DecodeException} message names. Reads through one reused
 * {@link MessageUnpacker} over one reused {@link ArrayBufferInput}, except int arrays (token ids), which it parses
 * from the payload array itself for speed. Single-threaded, like its owner.
 */
final class WireReader {
    private static final VarHandle LONG_BE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle INT_BE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle SHORT_BE = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.BIG_ENDIAN);
    /** Known short strings (medium, kv_cache_spec_kind) come back as shared constants instead of a new String each. */
    private static final String[] INTERNED = {"GPU", "CPU", "STORAGE", "DISK", "full_attention", "sliding_window",
        "mamba", "chunked_local_attention", "cross_attention", "encoder_only"};
    private static final byte[][] INTERNED_UTF8 = Names.utf8(INTERNED);

    final MessageUnpacker unpacker = MessagePack.newDefaultUnpacker(new byte[0]);
    private final ArrayBufferInput input = new ArrayBufferInput(new byte[0]);
    /** Keys, tags, short strings and byte hashes are copied here; 64 bytes covers a 32-byte digest with room. */
    private final byte[] scratch = new byte[64];
    private byte[] buf;
    private int start;   // payload start in buf, so error offsets are payload-relative
    private int base;    // where the unpacker's byte 0 is in buf (moves when the map-event reader rewinds)
    private int end;

    // Location for error messages, as ints (see Names): message strings are built only on failure.
    int eventIndex = -1;
    int eventType = Names.NO_TYPE_YET;
    int field = Names.NONE;
    /** Optional fields of an unexpected type in the current events list: skipped, left at their default. */
    int skippedFields;

    void reset(byte[] b, int off, int len) throws IOException {
        buf = b;
        start = off;
        end = off + len;
        eventIndex = -1;
        eventType = Names.NO_TYPE_YET;
        field = Names.NONE;
        skippedFields = 0;
        seek(off);
    }

    /** Absolute position of the next unread byte in the caller's array. */
    int position() {
        return base + (int) unpacker.getTotalReadBytes();
    }

    int remaining() {
        return end - position();
    }

    /**
     * Moves the cursor to an absolute position: forward after {@link #ints}, back when a map event's "type" key came
     * late. Costs a small MessageBuffer wrapper, so it is not done per value.
     */
    void seek(int abs) throws IOException {
        input.reset(buf, abs, end - abs);
        unpacker.reset(input);
        base = abs;
    }

    // ---- containers: the declared count is checked against the bytes left, so forged headers cannot allocate much

    int arrayHeader() throws IOException, DecodeException {
        MessageFormat f = unpacker.getNextFormat();
        if (f.getValueType() != ValueType.ARRAY) {
            throw typeError("array", f);
        }
        return checkCount(unpacker.unpackArrayHeader(), 1, "array");
    }

    int mapHeader() throws IOException, DecodeException {
        MessageFormat f = unpacker.getNextFormat();
        if (f.getValueType() != ValueType.MAP) {
            throw typeError("map", f);
        }
        return checkCount(unpacker.unpackMapHeader(), 2, "map");
    }

    /** Every element takes at least one byte (a map entry two), so a longer declaration is a lie. */
    int checkCount(int n, int bytesPerElement, String what) throws DecodeException {
        if (n < 0 || (long) n * bytesPerElement > remaining()) {
            throw fail(what + " declares " + Integer.toUnsignedString(n) + " elements but only " + remaining()
                + " bytes remain");
        }
        return n;
    }

    // ---- scalars

    /** An int field that vLLM may leave nil (lora_id, group_idx, ...). Any msgpack int form that fits is accepted. */
    Integer nullableInt() throws IOException, DecodeException {
        return unpacker.tryUnpackNil() ? null : Integer.valueOf(requiredInt());
    }

    int requiredInt() throws IOException, DecodeException {
        MessageFormat f = unpacker.getNextFormat();
        if (f.getValueType() != ValueType.INTEGER) {
            throw typeError("int", f);
        }
        if (f == MessageFormat.UINT64) {
            throw fail("int out of range: uint64");
        }
        long v = unpacker.unpackLong();
        if (v != (int) v) {
            throw fail("int out of range: " + v);
        }
        return (int) v;
    }

    /**
     * An optional int field (lora_id, group_idx, event_version, ...): nil is null; any other type, or an int outside
     * the int range, is skipped, counted in {@link #skippedFields} and read as null.
     */
    Integer optionalInt() throws IOException {
        MessageFormat f = unpacker.getNextFormat();
        if (f.getValueType() == ValueType.INTEGER && f != MessageFormat.UINT64) {
            long v = unpacker.unpackLong();
            if (v == (int) v) {
                return (int) v;
            }
            skippedFields++;
            return null;
        }
        return skipOptional(f);
    }

    /** An optional string field (medium, lora_name, ownership, ...); other types as in {@link #optionalInt}. */
    String optionalString() throws IOException, DecodeException {
        MessageFormat f = unpacker.getNextFormat();
        if (f.getValueType() != ValueType.STRING) {
            return skipOptional(f);
        }
        return string();
    }

    /** Null for nil; anything else was not what the optional field takes: skipped and counted. */
    <T> T skipOptional(MessageFormat f) throws IOException {
        if (f.getValueType() == ValueType.NIL) {
            unpacker.unpackNil();
        } else {
            unpacker.skipValue();
            skippedFields++;
        }
        return null;
    }

    /**
     * An optional string field that takes a few known words (locality): the word's index in {@code table}, matched
     * ignoring ASCII case; {@link #OTHER_WORD} for any other string; {@link #NO_WORD} for nil, or for another type
     * (skipped and counted, as in {@link #optionalInt}).
     */
    int optionalWord(byte[][] table) throws IOException, DecodeException {
        MessageFormat f = unpacker.getNextFormat();
        if (f.getValueType() != ValueType.STRING) {
            skipOptional(f);
            return NO_WORD;
        }
        return word(table);
    }

    static final int OTHER_WORD = -1, NO_WORD = -2;

    /** Reads the string at the cursor (known to be one) and matches it against {@code table} ignoring ASCII case. */
    int word(byte[][] table) throws IOException, DecodeException {
        int len = checkBytes(unpacker.unpackRawStringHeader());
        if (len > scratch.length) {
            skipBytes(len);
            return OTHER_WORD;
        }
        unpacker.readPayload(scratch, 0, len);
        for (int i = 0; i < table.length; i++) {
            if (table[i].length == len && equalsIgnoreAsciiCase(table[i], len)) {
                return i;
            }
        }
        return OTHER_WORD;
    }

    private boolean equalsIgnoreAsciiCase(byte[] lower, int len) {
        for (int i = 0; i < len; i++) {
            int c = scratch[i];
            if (c >= 'A' && c <= 'Z') {
                c += 'a' - 'A';
            }
            if (c != lower[i]) {
                return false;
            }
        }
        return true;
    }

    /** A string whose presence the caller has checked (the format at the cursor is a str). */
    String string() throws IOException, DecodeException {
        int len = checkBytes(unpacker.unpackRawStringHeader());
        if (len > scratch.length) {
            return new String(unpacker.readPayload(len), StandardCharsets.UTF_8);
        }
        unpacker.readPayload(scratch, 0, len);
        int known = match(INTERNED_UTF8, len);
        return known >= 0 ? INTERNED[known] : new String(scratch, 0, len, StandardCharsets.UTF_8);
    }

    /** The bytes of a bin value whose presence the caller has checked; a fresh array (it outlives the batch). */
    byte[] binary() throws IOException, DecodeException {
        return unpacker.readPayload(checkBytes(unpacker.unpackBinaryHeader()));
    }

    /**
     * Reads a map key or a tag and returns its index in {@code table} (pre-encoded UTF-8), comparing raw bytes so that
     * known names never become Strings. Returns -1 for any other string, and for a non-string key (skipped whole).
     */
    int key(byte[][] table) throws IOException, DecodeException {
        if (unpacker.getNextFormat().getValueType() != ValueType.STRING) {
            unpacker.skipValue();
            return -1;
        }
        int len = checkBytes(unpacker.unpackRawStringHeader());
        if (len > scratch.length) {
            skipBytes(len);  // longer than any name we know
            return -1;
        }
        unpacker.readPayload(scratch, 0, len);
        return match(table, len);
    }

    private int match(byte[][] table, int len) {
        for (int i = 0; i < table.length; i++) {
            byte[] k = table[i];
            if (k.length == len && Arrays.equals(scratch, 0, len, k, 0, len)) {
                return i;
            }
        }
        return -1;
    }

    // ---- int arrays

    /**
     * Reads {@code n} msgpack ints (any form whose value fits an int) into {@code out[0, n)}, straight from the payload
     * array, then repositions the unpacker after the last one. Token ids are ~85% of a batch's values; through
     * msgpack-core's unpackInt (buffer checks and position bookkeeping per call) the decoder measured about 0.7 of the
     * plain-traversal baseline, with this loop about 0.8-0.9 (DecoderBenchmark).
     */
    void ints(IntArray out, int n) throws IOException, DecodeException {
        byte[] b = buf;
        int p = position();
        for (int i = 0; i < n; i++) {
            need(p, 1, i);
            int c = b[p];
            int v;
            if (c >= -32) {  // positive (0x00-0x7f) or negative (0xe0-0xff) fixint: nearly every small token id
                v = c;
                p += 1;
            } else {
                switch (c & 0xFF) {
                    case 0xcc: need(p, 2, i); v = b[p + 1] & 0xFF; p += 2; break;
                    case 0xcd: need(p, 3, i); v = (short) SHORT_BE.get(b, p + 1) & 0xFFFF; p += 3; break;
                    case 0xce:
                        need(p, 5, i);
                        v = (int) INT_BE.get(b, p + 1);
                        if (v < 0) {  // uint32 above Integer.MAX_VALUE
                            throw failAt(p, "element " + i + ": out of int range");
                        }
                        p += 5;
                        break;
                    case 0xd0: need(p, 2, i); v = b[p + 1]; p += 2; break;
                    case 0xd1: need(p, 3, i); v = (short) SHORT_BE.get(b, p + 1); p += 3; break;
                    case 0xd2: need(p, 5, i); v = (int) INT_BE.get(b, p + 1); p += 5; break;
                    case 0xcf:
                    case 0xd3: {  // 64-bit forms: msgspec never uses them for small values, other encoders might
                        need(p, 9, i);
                        long l = (long) LONG_BE.get(b, p + 1);
                        if (l != (int) l || (c & 0xFF) == 0xcf && l < 0) {
                            throw failAt(p, "element " + i + ": out of int range");
                        }
                        v = (int) l;
                        p += 9;
                        break;
                    }
                    default:
                        throw failAt(p, "element " + i + ": expected int, got " + typeName(MessageFormat.valueOf((byte) c)));
                }
            }
            out.set(i, v);
        }
        seek(p);
    }

    private void need(int p, int width, int element) throws DecodeException {
        if (width > end - p) {
            throw failAt(p, "element " + element + ": truncated: the payload ends inside a value");
        }
    }

    // ---- hashes

    /**
     * One block hash as its 64 bits: an int as two's complement, a uint64 above 2^63 as its raw bits (read from the
     * {@code cf} payload, so no BigInteger), bytes or str as the last 8 bytes big-endian, left-padded with zeros.
     */
    long hash() throws IOException, DecodeException {
        MessageFormat f = unpacker.getNextFormat();
        switch (f.getValueType()) {
            case INTEGER:
                if (f == MessageFormat.UINT64) {
                    unpacker.readPayload(scratch, 0, 9);   // cf + 8 bytes; unpackLong would throw above Long.MAX
                    return (long) LONG_BE.get(scratch, 1);
                }
                return unpacker.unpackLong();
            case BINARY:
                return lastEightBytes(checkBytes(unpacker.unpackBinaryHeader()));
            case STRING:
                return lastEightBytes(checkBytes(unpacker.unpackRawStringHeader()));
            default:
                throw typeError("int or bytes", f);
        }
    }

    private long lastEightBytes(int len) throws IOException {
        if (len > scratch.length) {
            skipBytes(len - 8);
            len = 8;
        }
        unpacker.readPayload(scratch, 0, len);
        long v = 0;
        for (int i = Math.max(0, len - 8); i < len; i++) {
            v = (v << 8) | (scratch[i] & 0xFF);
        }
        return v;
    }

    private void skipBytes(int n) throws IOException {
        while (n > 0) {
            int k = Math.min(n, scratch.length);
            unpacker.readPayload(scratch, 0, k);
            n -= k;
        }
    }

    int checkBytes(int len) throws DecodeException {
        if (len < 0 || len > remaining()) {
            throw fail("declares " + Integer.toUnsignedString(len) + " bytes but only " + remaining() + " remain");
        }
        return len;
    }

    // ---- errors

    DecodeException typeError(String expected, MessageFormat got) {
        return fail("expected " + expected + ", got " + typeName(got));
    }

    /** getValueType() throws for 0xc1, which msgpack never uses. */
    static String typeName(MessageFormat f) {
        return f == MessageFormat.NEVER_USED ? "never-used byte 0xc1" : f.getValueType().name();
    }

    DecodeException fail(String problem) {
        return failAt(position(), problem);
    }

    DecodeException failAt(int abs, String problem) {
        return new DecodeException(where() + ": " + problem + " (at byte " + (abs - start) + ")");
    }

    DecodeException fail(String problem, Throwable cause) {
        return new DecodeException(where() + ": " + problem + " (at byte " + (position() - start) + ")", cause);
    }

    /** "event 1 (BlockStored): field token_ids", "batch: field events", or "batch". */
    String where() {
        StringBuilder sb = new StringBuilder();
        if (eventIndex < 0) {
            sb.append("batch");
        } else {
            sb.append("event ").append(eventIndex);
            if (eventType >= 0) {
                sb.append(" (").append(Names.TYPES[eventType]).append(')');
            } else if (eventType == Names.UNKNOWN_TYPE) {
                sb.append(" (unknown type)");
            }
        }
        if (field != Names.NONE) {
            sb.append(": field ").append(Names.FIELDS[field]);
        }
        return sb.toString();
    }
}
