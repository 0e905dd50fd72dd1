package io.kvrelay.ingest.decode;

import static io.kvrelay.ingest.decode.Names.BLOCK_SIZE;
import static io.kvrelay.ingest.decode.Names.CLEARED;
import static io.kvrelay.ingest.decode.Names.EVENT_VERSION;
import static io.kvrelay.ingest.decode.Names.EXTRA_KEYS;
import static io.kvrelay.ingest.decode.Names.GROUP_IDX;
import static io.kvrelay.ingest.decode.Names.HASHES;
import static io.kvrelay.ingest.decode.Names.LOCALITY;
import static io.kvrelay.ingest.decode.Names.LORA_ID;
import static io.kvrelay.ingest.decode.Names.LORA_NAME;
import static io.kvrelay.ingest.decode.Names.MEDIUM;
import static io.kvrelay.ingest.decode.Names.NONE;
import static io.kvrelay.ingest.decode.Names.NO_TYPE_YET;
import static io.kvrelay.ingest.decode.Names.OWNERSHIP;
import static io.kvrelay.ingest.decode.Names.PARENT;
import static io.kvrelay.ingest.decode.Names.REMOVED;
import static io.kvrelay.ingest.decode.Names.SPEC_KIND;
import static io.kvrelay.ingest.decode.Names.SPEC_WINDOW;
import static io.kvrelay.ingest.decode.Names.STORED;
import static io.kvrelay.ingest.decode.Names.TOKENS;
import static io.kvrelay.ingest.decode.Names.TYPE;

import io.kvrelay.schemas.avro.AllBlocksCleared;
import io.kvrelay.schemas.avro.BlockLocality;
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
 * the same per-field code: an era's field list maps positions to field ids, and the map form finds the id by name.
 * Fields an event does not carry keep their defaults; fields we do not model (session_id, anything newer) are skipped,
 * so newer vLLM versions keep decoding.
 *
 * <p><b>Eras of array events.</b> Every BlockStored layout before {@code event_version} is a prefix of one field list
 * (5 fields in PR #16750, then medium, lora_name, extra_keys, group_idx, the two kv_cache_spec fields, locality,
 * ownership). The newest vLLM inserts {@code event_version} after {@code lora_name}, shifting every later field. The
 * first 7 positions mean the same in both lists; position 8 decides which list the rest follows: an int is
 * event_version (msgspec always writes it), a list or nil is extra_keys. Only when position 8 holds neither (a mistyped
 * value, skipped) do the next non-nil values decide, by the type each list expects at their position (a list at 9 is
 * extra_keys, an int there is group_idx, ...); where both lists take that type, the count decides: 14 fields or more
 * is the newest list (the only one msgspec writes with 14).
 *
 * <p><b>Strict and lenient fields.</b> block_hashes, parent_block_hash, token_ids and block_size are the block's
 * identity: a wrong type there is a {@link DecodeException}. Every other field is optional: a value of the wrong type
 * is skipped, left null and counted ({@link WireReader#skippedFields}), and the event is kept.
 *
 * <p>Fields are written straight into a fresh BlockStored (whose fields are a superset of BlockRemoved's), never into
 * this long-lived reader: stores into a young object need no GC card-marking fence, and JMH showed those fences.
 */
final class EventReader {
    /** BlockStored before event_version: every array era is a prefix of this list. */
    private static final int[] STORED_FIELDS = {HASHES, PARENT, TOKENS, BLOCK_SIZE, LORA_ID, MEDIUM, LORA_NAME,
        EXTRA_KEYS, GROUP_IDX, SPEC_KIND, SPEC_WINDOW, LOCALITY, OWNERSHIP};
    /** The newest BlockStored: event_version inserted after lora_name (then possibly session_id, skipped). */
    private static final int[] VERSIONED_STORED_FIELDS = {HASHES, PARENT, TOKENS, BLOCK_SIZE, LORA_ID, MEDIUM,
        LORA_NAME, EVENT_VERSION, EXTRA_KEYS, GROUP_IDX, SPEC_KIND, SPEC_WINDOW, LOCALITY, OWNERSHIP};
    /** Positions 1-7 (indexes 0-6) are the same in every era. */
    private static final int COMMON_PREFIX = 7;
    /** Wire position (after the tag) to field id, per type. Positions past the end are skipped. */
    private static final int[][] POSITIONS = {STORED_FIELDS, {HASHES, MEDIUM, GROUP_IDX, LOCALITY, OWNERSHIP}, {}};
    /** Which ids each type reads from a map; a known name on the wrong type (e.g. token_ids on BlockRemoved) is skipped. */
    private static final int[] MAP_FIELDS = {(1 << TYPE) - 1,
        1 << HASHES | 1 << MEDIUM | 1 << GROUP_IDX | 1 << LOCALITY | 1 << OWNERSHIP, 0};
    /** The msgpack type each field past the common prefix takes when not nil, by field id: tells the eras apart. */
    private static final ValueType[] WIRE_TYPES = new ValueType[TYPE];

    static {
        WIRE_TYPES[EVENT_VERSION] = ValueType.INTEGER;
        WIRE_TYPES[EXTRA_KEYS] = ValueType.ARRAY;
        WIRE_TYPES[GROUP_IDX] = ValueType.INTEGER;
        WIRE_TYPES[SPEC_KIND] = ValueType.STRING;
        WIRE_TYPES[SPEC_WINDOW] = ValueType.INTEGER;
        WIRE_TYPES[LOCALITY] = ValueType.STRING;
        WIRE_TYPES[OWNERSHIP] = ValueType.STRING;
    }

    private static final BlockLocality[] LOCALITY_VALUES = {BlockLocality.LOCAL, BlockLocality.REMOTE};
    private static final Schema HASHES_SCHEMA = BlockStored.SCHEMA$.getField("blockHashes").schema();
    private static final Schema TOKENS_SCHEMA = BlockStored.SCHEMA$.getField("tokenIds").schema();

    private final WireReader r;
    private final MessageUnpacker u;
    private final ExtraKeysReader extraKeys;

    EventReader(WireReader r) {
        this.r = r;
        this.u = r.unpacker;
        this.extraKeys = new ExtraKeysReader(r);
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
        boolean eraUnknown = type == STORED && fieldCount > COMMON_PREFIX;
        for (int i = 0; i < fieldCount; i++) {
            if (eraUnknown && i >= COMMON_PREFIX) {
                ValueType t = u.getNextFormat().getValueType();
                int[] era = storedEra(i, t, fieldCount);
                if (era == null) {  // nil, or a type neither list takes here: null in both, so read it as such
                    r.field = NONE;
                    r.skipOptional(u.getNextFormat());
                    continue;
                }
                positions = era;
                eraUnknown = false;
            }
            if (i < positions.length) {
                field(positions[i], fields);
            } else {
                u.skipValue(fieldCount - i);  // fields newer than this decoder (session_id, ...)
                break;
            }
        }
        return type;
    }

    /**
     * The BlockStored field list that position {@code index} (0-based, past the common prefix) belongs to, from the
     * type {@code t} of the value there; null while undecided (the value is null in both lists).
     */
    private static int[] storedEra(int index, ValueType t, int fieldCount) {
        if (index == COMMON_PREFIX) {
            // event_version is an int that msgspec always writes; extra_keys is a list or nil.
            if (t == ValueType.INTEGER) {
                return VERSIONED_STORED_FIELDS;
            }
            return t == ValueType.ARRAY || t == ValueType.NIL ? STORED_FIELDS : null;
        }
        if (t == ValueType.NIL) {
            return null;
        }
        boolean plain = takes(STORED_FIELDS, index, t);
        boolean versioned = takes(VERSIONED_STORED_FIELDS, index, t);
        if (plain != versioned) {
            return versioned ? VERSIONED_STORED_FIELDS : STORED_FIELDS;
        }
        if (!plain) {
            return null;
        }
        return fieldCount >= VERSIONED_STORED_FIELDS.length ? VERSIONED_STORED_FIELDS : STORED_FIELDS;
    }

    /** Past the list's end any value is an unmodelled extra. */
    private static boolean takes(int[] fieldList, int index, ValueType t) {
        return index >= fieldList.length || WIRE_TYPES[fieldList[index]] == t;
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
            case LORA_ID: s.setLoraId(r.optionalInt()); break;
            case MEDIUM: s.setMedium(r.optionalString()); break;
            case LORA_NAME: s.setLoraName(r.optionalString()); break;
            case EVENT_VERSION: s.setEventVersion(r.optionalInt()); break;
            case EXTRA_KEYS: s.setExtraKeys(extraKeys.read()); break;
            case GROUP_IDX: s.setGroupIdx(r.optionalInt()); break;
            case SPEC_KIND: s.setKvCacheSpecKind(r.optionalString()); break;
            case SPEC_WINDOW: s.setKvCacheSpecSlidingWindow(r.optionalInt()); break;
            case LOCALITY: s.setLocality(locality()); break;
            case OWNERSHIP: s.setOwnership(r.optionalString()); break;
            default: u.skipValue(); break;
        }
    }

    /** "LOCAL"/"REMOTE" in any case; another string is UNKNOWN_LOCALITY (a newer value), another type is skipped. */
    private BlockLocality locality() throws IOException, DecodeException {
        int w = r.optionalWord(Names.LOCALITIES);
        if (w == WireReader.NO_WORD) {
            return null;
        }
        return w >= 0 ? LOCALITY_VALUES[w] : BlockLocality.UNKNOWN_LOCALITY;
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
