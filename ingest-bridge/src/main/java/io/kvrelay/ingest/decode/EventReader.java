package io.kvrelay.ingest.decode;

import static io.kvrelay.ingest.decode.Names.BLOCK_SIZE;
import static io.kvrelay.ingest.decode.Names.CLEARED;
import static io.kvrelay.ingest.decode.Names.EXTRA_KEYS;
import static io.kvrelay.ingest.decode.Names.GROUP_IDX;
import static io.kvrelay.ingest.decode.Names.HASHES;
import static io.kvrelay.ingest.decode.Names.LORA_ID;
import static io.kvrelay.ingest.decode.Names.LORA_NAME;
import static io.kvrelay.ingest.decode.Names.MEDIUM;
import static io.kvrelay.ingest.decode.Names.NONE;
import static io.kvrelay.ingest.decode.Names.NO_TYPE_YET;
import static io.kvrelay.ingest.decode.Names.PARENT;
import static io.kvrelay.ingest.decode.Names.REMOVED;
import static io.kvrelay.ingest.decode.Names.SPEC_KIND;
import static io.kvrelay.ingest.decode.Names.SPEC_WINDOW;
import static io.kvrelay.ingest.decode.Names.STORED;
import static io.kvrelay.ingest.decode.Names.TOKENS;
import static io.kvrelay.ingest.decode.Names.TYPE;

import io.kvrelay.schemas.avro.AllBlocksCleared;
import io.kvrelay.schemas.avro.BlockRemoved;
import io.kvrelay.schemas.avro.BlockStored;
import java.io.IOException;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.PrimitivesArrays.IntArray;
import org.apache.avro.generic.PrimitivesArrays.LongArray;
import org.msgpack.core.MessageFormat;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.ValueType;

/**
 * Reads one vLLM event, in array form ({@code ["BlockStored", f1, f2, ...]}, fields by position) or map form
 * ({@code {"type": "BlockStored", "block_hashes": ...}}, fields by name), into its Avro record. Both forms funnel into
 * the same per-field code: an event type lists its field ids by position, and the map form finds the id by name.
 * Fields an event does not carry keep their defaults; fields we do not model (extra_keys, locality, ownership,
 * session_id, anything newer) are skipped, so newer vLLM versions keep decoding.
 *
 * <p>Fields are written straight into a fresh BlockStored (whose fields are a superset of BlockRemoved's), never into
 * this long-lived reader: stores into a young object need no GC card-marking fence, and JMH showed those fences.
 */
final class EventReader {
    /** Wire position (after the tag) to field id, per type. Positions past the end are skipped. */
    private static final int[][] POSITIONS = {
        {HASHES, PARENT, TOKENS, BLOCK_SIZE, LORA_ID, MEDIUM, LORA_NAME, EXTRA_KEYS, GROUP_IDX, SPEC_KIND, SPEC_WINDOW},
        {HASHES, MEDIUM, GROUP_IDX},
        {}};
    /** Which ids each type reads from a map; a known name on the wrong type (e.g. token_ids on BlockRemoved) is skipped. */
    private static final int[] MAP_FIELDS = {(1 << TYPE) - 1, 1 << HASHES | 1 << MEDIUM | 1 << GROUP_IDX, 0};

    private static final Schema HASHES_SCHEMA = BlockStored.SCHEMA$.getField("blockHashes").schema();
    private static final Schema TOKENS_SCHEMA = BlockStored.SCHEMA$.getField("tokenIds").schema();

    private final WireReader r;
    private final MessageUnpacker u;

    EventReader(WireReader r) {
        this.r = r;
        this.u = r.unpacker;
    }

    /** Reads the next event into {@code out}; returns false when its tag is unknown (the event was skipped). */
    boolean read(List<Object> out) throws IOException, DecodeException {
        r.eventType = NO_TYPE_YET;
        MessageFormat f = u.getNextFormat();
        BlockStored fields = new BlockStored();
        int type;
        if (f.getValueType() == ValueType.ARRAY) {
            type = readArrayEvent(fields);
        } else if (f.getValueType() == ValueType.MAP) {
            type = readMapEvent(fields);
        } else {
            throw r.typeError("array or map", f);
        }
        r.field = NONE;
        switch (type) {
            case STORED:
                if (fields.getTokenIds() == null) {
                    fields.setTokenIds(new IntArray(0, TOKENS_SCHEMA));
                }
                out.add(withHashes(fields));
                return true;
            case REMOVED:
                out.add(new BlockRemoved(withHashes(fields).getBlockHashes(), fields.getMedium(), fields.getGroupIdx(),
                        fields.getLocality(), fields.getOwnership()));
                return true;
            case CLEARED:
                out.add(new AllBlocksCleared());
                return true;
            default:
                return false;
        }
    }

    private int readArrayEvent(BlockStored fields) throws IOException, DecodeException {
        int n = r.arrayHeader();
        if (n == 0) {
            throw r.fail("empty event array (no type tag)");
        }
        int type = tag();
        int fieldCount = n - 1;
        if (type < 0) {
            u.skipValue(fieldCount);
            return type;
        }
        int[] positions = POSITIONS[type];
        int known = Math.min(fieldCount, positions.length);
        for (int i = 0; i < known; i++) {
            field(positions[i], fields);
        }
        u.skipValue(fieldCount - known);  // fields newer than this decoder (locality, ownership, session_id, ...)
        return type;
    }

    private int readMapEvent(BlockStored fields) throws IOException, DecodeException {
        int n = r.mapHeader();
        int fieldsStart = r.position();
        int pairs;
        int type;
        // msgspec writes "type" first; any other encoder may not, so find it and rewind: the fields' meaning depends on it.
        if (n > 0 && r.key(Names.EVENT_KEYS) == TYPE) {
            type = tag();
            pairs = n - 1;
        } else {
            type = findTypeAfterFirstKey(n);
            r.seek(fieldsStart);
            pairs = n;
        }
        if (type < 0) {
            u.skipValue(2 * pairs);
            return type;
        }
        int wanted = MAP_FIELDS[type];
        for (int i = 0; i < pairs; i++) {
            int id = r.key(Names.EVENT_KEYS);
            if (id >= 0 && (wanted >> id & 1) != 0) {
                field(id, fields);
            } else {
                u.skipValue();  // unknown key, "type" seen again after a rewind, or a field this type does not have
            }
        }
        return type;
    }

    private int findTypeAfterFirstKey(int n) throws IOException, DecodeException {
        if (n > 0) {
            u.skipValue();  // value of the first key, which was not "type"
        }
        for (int i = 1; i < n; i++) {
            if (r.key(Names.EVENT_KEYS) == TYPE) {
                return tag();
            }
            u.skipValue();
        }
        throw r.fail("map event has no \"type\" key");
    }

    /** The type tag: a string; an unknown one is not an error (the caller skips and counts the event). */
    private int tag() throws IOException, DecodeException {
        r.field = TYPE;
        MessageFormat f = u.getNextFormat();
        if (f.getValueType() != ValueType.STRING) {
            throw r.typeError("string tag", f);
        }
        int type = r.key(Names.TYPE_TAGS);
        r.eventType = type;
        return type;
    }

    private void field(int id, BlockStored s) throws IOException, DecodeException {
        r.field = id;
        switch (id) {
            case HASHES: s.setBlockHashes(hashArray()); break;
            case PARENT: s.setParentBlockHash(u.tryUnpackNil() ? null : Long.valueOf(r.hash())); break;
            case TOKENS: s.setTokenIds(tokenArray()); break;
            case BLOCK_SIZE:
                int blockSize = r.requiredInt();
                if (blockSize < 0) {
                    throw r.fail("negative block_size " + blockSize);
                }
                s.setBlockSize(blockSize);
                break;
            case LORA_ID: s.setLoraId(r.nullableInt()); break;
            case MEDIUM: s.setMedium(r.nullableString()); break;
            case LORA_NAME: s.setLoraName(r.nullableString()); break;
            case GROUP_IDX: s.setGroupIdx(r.nullableInt()); break;
            case SPEC_KIND: s.setKvCacheSpecKind(r.nullableString()); break;
            case SPEC_WINDOW: s.setKvCacheSpecSlidingWindow(r.nullableInt()); break;
            default: u.skipValue(); break;  // extra_keys: not modelled
        }
    }

    private LongArray hashArray() throws IOException, DecodeException {
        int n = r.arrayHeader();
        LongArray a = new Hashes(n);
        for (int i = 0; i < n; i++) {
            a.set(i, r.hash());  // primitive set: no Long per hash
        }
        return a;
    }

    private IntArray tokenArray() throws IOException, DecodeException {
        int n = r.arrayHeader();
        IntArray a = new TokenIds(n);
        r.ints(a, n);
        return a;
    }

    private static BlockStored withHashes(BlockStored s) {
        if (s.getBlockHashes() == null) {
            s.setBlockHashes(new LongArray(0, HASHES_SCHEMA));
        }
        return s;
    }

    /*
     * Avro's primitive arrays, sized up front. add(index, value) does a System.arraycopy per element to make room, which
     * JMH showed costing about as much as the msgpack reading; set(index, value) is a plain store but needs the size
     * set first, and size is GenericData.AbstractArray's protected extension point. Still IntArray/LongArray to users.
     */
    private static final class TokenIds extends IntArray {
        TokenIds(int n) {
            super(n, TOKENS_SCHEMA);
            size = n;
        }
    }

    private static final class Hashes extends LongArray {
        Hashes(int n) {
            super(n, HASHES_SCHEMA);
            size = n;
        }
    }
}
