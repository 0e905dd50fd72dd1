package io.kvrelay.ingest.decode;

import io.kvrelay.schemas.avro.ExtraKey;
import io.kvrelay.schemas.avro.ExtraKeyKind;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import org.msgpack.core.MessageFormat;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.ValueType;

/**
 * Reads a BlockStored's {@code extra_keys} (one entry per block) into {@link ExtraKey} records, liberally:
 * <ul>
 *   <li>the field: nil (not sent) or an array with one entry per block; any other type is skipped and counted;</li>
 *   <li>a block's entry: nil (no keys), an array (tuple) of keys, or a single key standing for a one-key tuple;</li>
 *   <li>a key: a map tagged {@code "type"} ({@code lora}, {@code cache_salt}, {@code prompt_embeds}, {@code mm},
 *       {@code legacy}, matched ignoring case; any other tag is UNKNOWN_EXTRA_KEY), or an untyped value of older vLLM
 *       (a string, int, bytes or a nested tuple), which is LEGACY with the value as text.</li>
 * </ul>
 * The shapes are documented for consumers in schemas/CONSUMING.md. Blocks without keys share one immutable empty list,
 * and a field where no block has keys (the usual {@code [None] * blocks}) is a shared immutable list of them: the
 * usual value then allocates nothing.
 */
final class ExtraKeysReader {
    private static final byte[][] KINDS = Names.utf8("lora", "cache_salt", "prompt_embeds", "mm", "legacy");
    private static final ExtraKeyKind[] KIND_VALUES = {ExtraKeyKind.LORA, ExtraKeyKind.CACHE_SALT,
        ExtraKeyKind.PROMPT_EMBEDS, ExtraKeyKind.MM, ExtraKeyKind.LEGACY};
    /** Keys of a typed entry. From VALUE_KEYS on, each holds the entry's value (one per kind: lora name, salt, ...). */
    private static final byte[][] ENTRY_KEYS = Names.utf8("type", "offset", "name", "salt", "identifier", "hash",
        "value");
    private static final int TYPE_KEY = 0, OFFSET_KEY = 1, VALUE_KEYS = 2;
    /** vLLM's tuples nest one level (an mm pair inside a block's tuple); deeper values are not rendered. */
    private static final int MAX_DEPTH = 8;
    private static final HexFormat HEX = HexFormat.of();
    private static final List<ExtraKey> NO_KEYS = Collections.emptyList();
    /** extra_keys of n blocks none of which has keys, shared (immutable) for the usual batch sizes. */
    private static final List<List<ExtraKey>>[] NONE_FOR = noneFor(65);

    private final WireReader r;
    private final MessageUnpacker u;
    private final StringBuilder text = new StringBuilder();

    ExtraKeysReader(WireReader r) {
        this.r = r;
        this.u = r.unpacker;
    }

    /** The field's value at the cursor: null when nil or of another type than an array (then counted). */
    List<List<ExtraKey>> read() throws IOException, DecodeException {
        MessageFormat f = u.getNextFormat();
        if (f.getValueType() != ValueType.ARRAY) {
            return r.skipOptional(f);
        }
        int n = r.arrayHeader();
        List<List<ExtraKey>> blocks = null;  // made at the first block with keys: usually every block has none
        for (int i = 0; i < n; i++) {
            List<ExtraKey> keys = block();
            if (blocks == null && keys != NO_KEYS) {
                blocks = new ArrayList<>(n);
                blocks.addAll(Collections.nCopies(i, NO_KEYS));
            }
            if (blocks != null) {
                blocks.add(keys);
            }
        }
        if (blocks != null) {
            return blocks;
        }
        return n < NONE_FOR.length ? NONE_FOR[n] : Collections.nCopies(n, NO_KEYS);
    }

    private List<ExtraKey> block() throws IOException, DecodeException {
        if (u.tryUnpackNil()) {
            return NO_KEYS;
        }
        MessageFormat f = u.getNextFormat();
        if (f.getValueType() != ValueType.ARRAY) {
            ExtraKey only = key();
            if (only == null) {
                return NO_KEYS;
            }
            List<ExtraKey> keys = new ArrayList<>(1);
            keys.add(only);
            return keys;
        }
        int n = r.arrayHeader();
        if (n == 0) {
            return NO_KEYS;
        }
        List<ExtraKey> keys = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ExtraKey k = key();
            if (k != null) {
                keys.add(k);
            }
        }
        return keys;
    }

    @SuppressWarnings("unchecked")
    private static List<List<ExtraKey>>[] noneFor(int sizes) {
        List<List<ExtraKey>>[] lists = new List[sizes];
        for (int n = 0; n < sizes; n++) {
            lists[n] = Collections.nCopies(n, NO_KEYS);
        }
        return lists;
    }

    /** One key of a block; null for a nil (no key) or an extension value (skipped and counted). */
    private ExtraKey key() throws IOException, DecodeException {
        MessageFormat f = u.getNextFormat();
        switch (f.getValueType()) {
            case MAP:
                return typed();
            case NIL:
            case EXTENSION:
                return r.skipOptional(f);
            case BINARY: {
                byte[] digest = r.binary();
                return new ExtraKey(ExtraKeyKind.LEGACY, HEX.formatHex(digest), ByteBuffer.wrap(digest), null);
            }
            default:
                return new ExtraKey(ExtraKeyKind.LEGACY, text(), null, null);
        }
    }

    /** {@code {"type": kind, <value key>: value, "offset": n}}, keys in any order, unknown keys skipped. */
    private ExtraKey typed() throws IOException, DecodeException {
        int pairs = r.mapHeader();
        ExtraKeyKind kind = ExtraKeyKind.UNKNOWN_EXTRA_KEY;
        String value = null;
        String firstString = null;  // the value of an unknown tag, or of a known one under a key we do not know
        byte[] digest = null;
        Long offset = null;
        for (int i = 0; i < pairs; i++) {
            int key = r.key(ENTRY_KEYS);
            MessageFormat f = u.getNextFormat();
            ValueType t = f.getValueType();
            if (key == TYPE_KEY) {
                if (t == ValueType.STRING) {
                    int k = r.word(KINDS);
                    kind = k >= 0 ? KIND_VALUES[k] : ExtraKeyKind.UNKNOWN_EXTRA_KEY;
                } else {
                    r.skipOptional(f);
                }
            } else if (key == OFFSET_KEY) {
                offset = optionalLong(f);
            } else if (key >= VALUE_KEYS && value == null && digest == null && t != ValueType.NIL) {
                if (t == ValueType.BINARY) {
                    digest = r.binary();
                    value = HEX.formatHex(digest);
                } else {
                    value = text();
                }
            } else if (t == ValueType.STRING && firstString == null) {
                firstString = r.string();
            } else if (t == ValueType.BINARY && digest == null) {
                digest = r.binary();
            } else {
                u.skipValue();
            }
        }
        return new ExtraKey(kind, value != null ? value : firstString, digest == null ? null : ByteBuffer.wrap(digest),
            offset);
    }

    private Long optionalLong(MessageFormat f) throws IOException {
        if (f.getValueType() == ValueType.INTEGER && f != MessageFormat.UINT64) {
            return u.unpackLong();
        }
        return r.skipOptional(f);
    }

    // ---- values as text: a string as itself, anything else as JSON (bytes as a hex string)

    private String text() throws IOException, DecodeException {
        if (u.getNextFormat().getValueType() == ValueType.STRING) {
            return r.string();
        }
        text.setLength(0);
        render(0);
        return text.toString();
    }

    private void render(int depth) throws IOException, DecodeException {
        MessageFormat f = u.getNextFormat();
        if (depth > MAX_DEPTH && (f.getValueType() == ValueType.ARRAY || f.getValueType() == ValueType.MAP)) {
            u.skipValue();
            r.skippedFields++;
            text.append("\"...\"");
            return;
        }
        switch (f.getValueType()) {
            case NIL: u.unpackNil(); text.append("null"); break;
            case BOOLEAN: text.append(u.unpackBoolean()); break;
            case INTEGER:
                if (f == MessageFormat.UINT64) {
                    text.append(u.unpackBigInteger());
                } else {
                    text.append(u.unpackLong());
                }
                break;
            case FLOAT: text.append(u.unpackDouble()); break;
            case STRING: quote(r.string()); break;
            case BINARY: text.append('"').append(HEX.formatHex(r.binary())).append('"'); break;
            case ARRAY: {
                int n = r.arrayHeader();
                text.append('[');
                for (int i = 0; i < n; i++) {
                    text.append(i == 0 ? "" : ",");
                    render(depth + 1);
                }
                text.append(']');
                break;
            }
            case MAP: {
                int n = r.mapHeader();
                text.append('{');
                for (int i = 0; i < n; i++) {
                    text.append(i == 0 ? "" : ",");
                    if (u.getNextFormat().getValueType() == ValueType.STRING) {
                        quote(r.string());
                    } else {  // JSON keys are strings: a non-string key is written as its JSON text, quoted
                        int at = text.length();
                        render(depth + 1);
                        String k = text.substring(at);
                        text.setLength(at);
                        quote(k);
                    }
                    text.append(':');
                    render(depth + 1);
                }
                text.append('}');
                break;
            }
            default:  // extension types: nothing vLLM writes
                u.skipValue();
                r.skippedFields++;
                text.append("null");
                break;
        }
    }

    private void quote(String s) {
        text.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                text.append('\\').append(c);
            } else if (c < 0x20) {
                text.append(String.format("\\u%04x", (int) c));
            } else {
                text.append(c);
            }
        }
        text.append('"');
    }
}
