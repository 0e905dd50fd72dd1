package io.kvrelay.ingest.decode;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.msgpack.core.MessageFormat;
import org.msgpack.core.MessageInsufficientBufferException;
import org.msgpack.core.MessagePackException;
import org.msgpack.core.MessageSizeException;
import org.msgpack.value.ValueType;

/**
 * Decodes a vLLM KV-event payload (the msgpack frame of a ZeroMQ message) straight into the Avro event records.
 *
 * <p>Liberal about every layout vLLM has shipped or might: the batch as {@code [ts, events]},
 * {@code [ts, events, rank|nil, ...]} or a map ({@code ts}, {@code events}, {@code data_parallel_rank}); events as
 * tagged arrays or maps with {@code "type"} anywhere, array events read by the field list of their era (see
 * {@link EventReader}); fields missing (defaults), extra (skipped) or unknown (skipped); optional fields of an
 * unexpected type skipped and counted; hashes as ints, uint64 or bytes; unknown event types skipped and counted.
 * Strict about the envelope, a block's identity (hashes, parent, tokens, block size) and data that cannot be a batch:
 * anything else is a {@link DecodeException} naming the problem and where, never another exception, and declared
 * lengths are checked against the bytes left before anything is allocated for them.
 *
 * <p>Not thread-safe: it reuses its unpacker and buffers. Use one instance per thread.
 */
public final class KvEventDecoder {

    private final WireReader r = new WireReader();
    private final EventReader events = new EventReader(r);
    private int skippedUnknown;

    public DecodedBatch decode(byte[] payload) throws DecodeException {
        return decode(payload, 0, payload.length);
    }

    /**
     * Decodes {@code buf[off, off+len)}, which must hold exactly one batch (trailing bytes are an error).
     *
     * @throws IndexOutOfBoundsException if the range is outside {@code buf} (a caller bug, not bad data)
     */
    public DecodedBatch decode(byte[] buf, int off, int len) throws DecodeException {
        Objects.checkFromIndexSize(off, len, buf.length);
        if (len == 0) {
            throw new DecodeException("batch: empty payload");
        }
        try {
            r.reset(buf, off, len);
            skippedUnknown = 0;
            DecodedBatch batch = readBatch();
            if (r.remaining() != 0) {
                r.eventIndex = -1;
                r.field = Names.NONE;
                throw r.fail(r.remaining() + " trailing bytes after the batch");
            }
            return batch;
        } catch (MessageInsufficientBufferException e) {
            throw r.fail("truncated: the payload ends inside a value", e);
        } catch (MessageSizeException e) {
            throw r.fail("declared length " + e.getSize() + " is 2^31 or more", e);
        } catch (MessagePackException | IOException e) {
            // msgpack's own checks (0xc1, type mismatches it detects first): still bad data.
            throw r.fail("malformed msgpack: " + (e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName()), e);
        }
    }

    private DecodedBatch readBatch() throws IOException, DecodeException {
        MessageFormat f = r.unpacker.getNextFormat();
        if (f.getValueType() == ValueType.ARRAY) {
            return readArrayEnvelope();
        }
        if (f.getValueType() == ValueType.MAP) {
            return readMapEnvelope();
        }
        throw r.fail("expected an array or map at top level, got " + WireReader.typeName(f));
    }

    /** {@code [ts, events]} before vLLM PR #18925, {@code [ts, events, rank|nil]} since; later additions skipped. */
    private DecodedBatch readArrayEnvelope() throws IOException, DecodeException {
        int n = r.arrayHeader();
        if (n < 2) {
            throw r.fail("array has " + n + " elements, expected [ts, events, rank?]");
        }
        double ts = readTs();
        List<Object> list = readEvents();
        int rank = DecodedBatch.NO_RANK;
        if (n >= 3) {
            rank = readRank();
            r.unpacker.skipValue(n - 3);
        }
        return new DecodedBatch(ts, rank, list, skippedUnknown, r.skippedFields);
    }

    /** vLLM commit 0181ea3 declares the batch without array_like; no release shows it, but it costs little to accept. */
    private DecodedBatch readMapEnvelope() throws IOException, DecodeException {
        int n = r.mapHeader();
        double ts = Double.NaN;
        boolean hasTs = false;
        List<Object> list = null;
        int rank = DecodedBatch.NO_RANK;
        for (int i = 0; i < n; i++) {
            int key = r.key(Names.BATCH_KEYS);
            switch (key < 0 ? Names.NONE : Names.TS + key) {
                case Names.TS: ts = readTs(); hasTs = true; break;
                case Names.EVENTS: list = readEvents(); break;
                case Names.RANK: rank = readRank(); break;
                default: r.unpacker.skipValue(); break;
            }
            r.field = Names.NONE;
        }
        if (list == null || !hasTs) {
            throw r.fail("map has no \"" + (list == null ? "events" : "ts") + "\" key");
        }
        return new DecodedBatch(ts, rank, list, skippedUnknown, r.skippedFields);
    }

    /** msgspec writes float64; accept float32 and ints too (other encoders shrink whole seconds). */
    private double readTs() throws IOException, DecodeException {
        r.field = Names.TS;
        MessageFormat f = r.unpacker.getNextFormat();
        if (f.getValueType() == ValueType.FLOAT) {
            return r.unpacker.unpackDouble();
        }
        if (f.getValueType() == ValueType.INTEGER && f != MessageFormat.UINT64) {
            return r.unpacker.unpackLong();
        }
        throw r.typeError("number", f);
    }

    private int readRank() throws IOException, DecodeException {
        r.field = Names.RANK;
        Integer rank = r.nullableInt();
        if (rank == null) {
            return DecodedBatch.NO_RANK;
        }
        if (rank < 0) {
            throw r.fail("negative rank " + rank);
        }
        return rank;
    }

    private List<Object> readEvents() throws IOException, DecodeException {
        r.field = Names.EVENTS;
        skippedUnknown = 0;  // counts the list we return, even if a map batch repeats "events"
        r.skippedFields = 0;
        int n = r.arrayHeader();
        r.field = Names.NONE;
        List<Object> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            r.eventIndex = i;
            if (!events.read(list)) {
                skippedUnknown++;  // a newer vLLM's event type: the rest of the batch is still good
            }
        }
        r.eventIndex = -1;
        r.eventType = Names.NO_TYPE_YET;
        return list;
    }
}
