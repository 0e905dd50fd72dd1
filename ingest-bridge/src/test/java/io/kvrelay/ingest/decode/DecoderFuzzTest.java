package io.kvrelay.ingest.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.kvrelay.sim.wire.HashEncoding;
import io.kvrelay.sim.wire.PayloadEncoder;
import io.kvrelay.sim.wire.PayloadLayout;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;

/**
 * Property-style robustness: whatever the bytes, decode returns a batch or throws DecodeException, quickly and without
 * large allocations. Seeded, so a failure reproduces; the failing input is printed in hex.
 */
class DecoderFuzzTest {
    static final String[] FIXTURES = {"array-legacy", "array-full", "map-events", "map-envelope", "bytes-hashes",
        "unknown-tag", "bad-truncated", "bad-not-a-batch"};
    /** Headers that declare absurd lengths: array32, map32, bin32, str32, ext32, array16, str8. */
    static final byte[][] FORGED = hex("ddffffffff", "dd7fffffff", "dfffffffff", "df7fffffff", "c6ffffffff",
        "c67fffffff", "dbffffffff", "db7fffffff", "c97fffffff01", "dcffff", "d9ff", "de8000");

    final KvEventDecoder decoder = new KvEventDecoder();
    final com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    /**
     * A guard against a decoder that loops forever, not a speed budget: the mutation run took 30.6 s on a machine at
     * load average 20-50 (about 3 s on a quiet one) and failed a 30 s limit while the decoder was right.
     */
    private static final Duration HANG = Duration.ofMinutes(5);
    int decoded;
    int rejected;
    long maxAllocated;

    @Test
    void randomBytes() {
        Random rnd = new Random(0x5EED_0001L);
        assertTimeoutPreemptively(HANG, () -> {
            for (int i = 0; i < 20_000; i++) {
                byte[] b = new byte[rnd.nextInt(200)];
                rnd.nextBytes(b);
                if (i % 2 == 0 && b.length > 0) {
                    b[0] = (byte) (0x90 | rnd.nextInt(4));  // half start like a batch array, to get past the first check
                }
                check(b, "random #" + i);
            }
        });
        assertThat(rejected).isGreaterThan(19_000);
    }

    @Test
    void mutatedFixtures() throws IOException {
        Random rnd = new Random(0x5EED_0002L);
        List<byte[]> seeds = new ArrayList<>();
        List<String> names = new ArrayList<>(List.of(FIXTURES));
        for (String f : FIXTURES) {
            seeds.add(FixtureManifestTest.fixture(f));
        }
        // The newest layouts (typed extra keys, event_version, locality), as vllm-sim writes them like msgspec.
        for (PayloadLayout layout : List.of(PayloadLayout.NEWEST_ARRAY, PayloadLayout.NEWEST_MAP)) {
            seeds.add(new PayloadEncoder(layout, HashEncoding.INT).encode(1.5, 0, SimRoundTripTest.events()));
            names.add(layout.name());
        }
        assertTimeoutPreemptively(HANG, () -> {
            for (int s = 0; s < seeds.size(); s++) {
                for (int i = 0; i < 20_000; i++) {
                    byte[] b = seeds.get(s);
                    int mutations = 1 + rnd.nextInt(3);
                    for (int m = 0; m < mutations; m++) {
                        b = mutate(b, rnd);
                    }
                    check(b, names.get(s) + " mutation #" + i);
                }
            }
        });
        // Mutations in hash or token payloads leave a valid batch, so both outcomes are exercised.
        assertThat(decoded).isGreaterThan(10_000);
        assertThat(rejected).isGreaterThan(50_000);
    }

    /** Random valid batches, in every layout and array era, round-trip to what was packed. */
    @Test
    void generatedBatchesRoundTrip() {
        Random rnd = new Random(0x5EED_0003L);
        assertTimeoutPreemptively(HANG, () -> {
            for (int i = 0; i < 5_000; i++) {
                List<Map<String, Object>> expected = new ArrayList<>();
                int[] skipped = new int[1];
                byte[] b = generate(rnd, expected, skipped);
                DecodedBatch batch;
                try {
                    batch = decoder.decode(b);
                } catch (DecodeException e) {
                    throw new AssertionError("case " + i + ": " + e.getMessage() + "\n" + HexFormat.of().formatHex(b), e);
                }
                int c = i;
                assertThat(EventView.of(batch)).as(() -> "case " + c + ": " + HexFormat.of().formatHex(b))
                    .isEqualTo(expected);
                assertThat(batch.skippedUnknown()).isEqualTo(skipped[0]);
                assertThat(batch.skippedFields()).as("case " + c).isZero();  // every generated value is well typed
            }
        });
    }

    private void check(byte[] b, String what) {
        long before = threads.getCurrentThreadAllocatedBytes();
        DecodeException rejection = null;
        try {
            decoder.decode(b);
        } catch (DecodeException e) {
            rejection = e;
        } catch (Throwable t) {
            throw new AssertionError(what + ": " + t + "\ninput: " + HexFormat.of().formatHex(b), t);
        }
        // Measured before asserting: AssertJ's first use loads classes worth megabytes on this thread.
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        if (rejection == null) {
            decoded++;
        } else {
            assertThat(rejection.getMessage()).isNotBlank();
            rejected++;
        }
        maxAllocated = Math.max(maxAllocated, allocated);
        // A forged length that got through would allocate up to gigabytes (a random 32-bit length averages 2 GiB); an
        // exception with its stack trace is a few KB. The 4 MiB floor leaves room for what the JVM itself allocates on
        // this thread now and then (class loading, a retired TLAB counted late): 256 KiB failed once on a loaded box.
        if (allocated > 4L * 1024 * 1024 + 64L * b.length) {
            throw new AssertionError(what + ": allocated " + allocated + " bytes for a " + b.length + "-byte input\n"
                + HexFormat.of().formatHex(b));
        }
    }

    static byte[] mutate(byte[] b, Random rnd) {
        if (b.length == 0) {
            return new byte[] {(byte) rnd.nextInt(256)};
        }
        int at = rnd.nextInt(b.length);
        switch (rnd.nextInt(7)) {
            case 0: {  // bit flip
                byte[] c = b.clone();
                c[at] ^= (byte) (1 << rnd.nextInt(8));
                return c;
            }
            case 1: {  // byte replacement, biased to interesting format bytes
                byte[] c = b.clone();
                c[at] = (byte) (rnd.nextBoolean() ? rnd.nextInt(256) : 0xc0 + rnd.nextInt(0x20));
                return c;
            }
            case 2:  // truncation
                return java.util.Arrays.copyOf(b, at);
            case 3:  // insertion of random bytes
                return splice(b, at, 0, randomBytes(rnd, 1 + rnd.nextInt(4)));
            case 4:  // deletion
                return splice(b, at, Math.min(b.length - at, 1 + rnd.nextInt(4)), new byte[0]);
            case 5: {  // forged length header, inserted or overwriting
                byte[] h = FORGED[rnd.nextInt(FORGED.length)];
                return splice(b, at, rnd.nextBoolean() ? 0 : Math.min(b.length - at, h.length), h);
            }
            default: {  // duplicate a slice (repeated fields, events)
                int len = Math.min(b.length - at, 1 + rnd.nextInt(16));
                return splice(b, at, 0, java.util.Arrays.copyOfRange(b, at, at + len));
            }
        }
    }

    static byte[] splice(byte[] b, int at, int remove, byte[] insert) {
        byte[] c = new byte[b.length - remove + insert.length];
        System.arraycopy(b, 0, c, 0, at);
        System.arraycopy(insert, 0, c, at, insert.length);
        System.arraycopy(b, at + remove, c, at + insert.length, b.length - at - remove);
        return c;
    }

    static byte[] randomBytes(Random rnd, int n) {
        byte[] b = new byte[n];
        rnd.nextBytes(b);
        return b;
    }

    static byte[][] hex(String... s) {
        byte[][] out = new byte[s.length][];
        for (int i = 0; i < s.length; i++) {
            out[i] = HexFormat.of().parseHex(s[i]);
        }
        return out;
    }

    // ---- generator for valid batches: random layout, field counts, hash forms, key order, unknown events

    static byte[] generate(Random rnd, List<Map<String, Object>> expected, int[] skipped) throws IOException {
        MessageBufferPacker p = MessagePack.newDefaultBufferPacker();
        int n = rnd.nextInt(6);
        boolean mapEnvelope = rnd.nextInt(4) == 0;
        if (mapEnvelope) {
            p.packMapHeader(3).packString("data_parallel_rank").packInt(rnd.nextInt(8)).packString("events");
        } else {
            p.packArrayHeader(3).packDouble(rnd.nextDouble() * 2e9).packArrayHeader(n);
        }
        if (mapEnvelope) {
            p.packArrayHeader(n);
        }
        for (int i = 0; i < n; i++) {
            int kind = rnd.nextInt(10);
            if (kind < 5) {
                stored(rnd, p, expected);
            } else if (kind < 8) {
                removed(rnd, p, expected);
            } else if (kind < 9) {
                if (rnd.nextBoolean()) {
                    p.packArrayHeader(1).packString("AllBlocksCleared");
                } else {
                    p.packMapHeader(1).packString("type").packString("AllBlocksCleared");
                }
                expected.add(Map.of("type", "AllBlocksCleared"));
            } else {
                p.packArrayHeader(2).packString("Block" + rnd.nextInt(1000)).packArrayHeader(1).packInt(1);
                skipped[0]++;
            }
        }
        if (mapEnvelope) {
            p.packString("ts").packFloat(rnd.nextFloat());
        } else {
            p.packInt(rnd.nextInt(8));
        }
        return p.toByteArray();
    }

    /** BlockStored before event_version (every older array era is a prefix) and the newest field list. */
    static final String[] STORED_NAMES = {"block_hashes", "parent_block_hash", "token_ids", "block_size", "lora_id",
        "medium", "lora_name", "extra_keys", "group_idx", "kv_cache_spec_kind", "kv_cache_spec_sliding_window",
        "locality", "ownership"};
    static final String[] VERSIONED_STORED_NAMES = {"block_hashes", "parent_block_hash", "token_ids", "block_size",
        "lora_id", "medium", "lora_name", "event_version", "extra_keys", "group_idx", "kv_cache_spec_kind",
        "kv_cache_spec_sliding_window", "locality", "ownership"};

    private static void stored(Random rnd, MessageBufferPacker p, List<Map<String, Object>> expected) throws IOException {
        boolean versioned = rnd.nextInt(3) == 0;
        String[] names = versioned ? VERSIONED_STORED_NAMES : STORED_NAMES;
        long[] hashes = new long[rnd.nextInt(5)];
        for (int i = 0; i < hashes.length; i++) {
            hashes[i] = rnd.nextLong();
        }
        int[] tokens = new int[rnd.nextInt(40)];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = rnd.nextInt(200_000);
        }
        Map<String, Object> values = new LinkedHashMap<>();  // wire values by name; the view keeps non-null ones
        values.put("block_hashes", hashes);
        values.put("parent_block_hash", rnd.nextBoolean() ? null : rnd.nextLong());
        values.put("token_ids", tokens);
        values.put("block_size", 1 + rnd.nextInt(32));
        values.put("lora_id", rnd.nextBoolean() ? null : rnd.nextInt(100));
        values.put("medium", new String[] {"GPU", "CPU", "STORAGE", null}[rnd.nextInt(4)]);
        values.put("lora_name", rnd.nextBoolean() ? null : "lora-" + rnd.nextInt(10));
        values.put("event_version", versioned ? 1 + rnd.nextInt(3) : null);  // msgspec always writes it (an int)
        values.put("extra_keys", rnd.nextBoolean() ? null : ExtraKeys.random(rnd));
        values.put("group_idx", rnd.nextBoolean() ? null : rnd.nextInt(4));
        values.put("kv_cache_spec_kind", rnd.nextBoolean() ? null : "full_attention");
        values.put("kv_cache_spec_sliding_window", rnd.nextBoolean() ? null : rnd.nextInt(8192));
        values.put("locality", new String[] {"LOCAL", "remote", "ELSEWHERE", null}[rnd.nextInt(4)]);
        values.put("ownership", rnd.nextBoolean() ? null : "req-" + rnd.nextInt(10));

        // Array form: an era's prefix, at least up to token_ids; the newest list is always whole (msgspec).
        int fieldCount = versioned ? names.length : 3 + rnd.nextInt(names.length - 2);
        boolean asMap = rnd.nextBoolean();
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("type", "BlockStored");
        view.put("token_ids", List.of());
        view.put("block_size", 0L);
        if (asMap) {
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < fieldCount; i++) {
                order.add(i);
            }
            order.add(-1);  // "type"
            order.add(-2);  // an unknown key
            java.util.Collections.shuffle(order, rnd);
            p.packMapHeader(order.size());
            for (int f : order) {
                if (f == -1) {
                    p.packString("type").packString("BlockStored");
                } else if (f == -2) {
                    p.packString("session_id").packMapHeader(1).packString("zone").packArrayHeader(0);
                } else {
                    p.packString(names[f]);
                    packValue(rnd, p, values.get(names[f]));
                }
            }
        } else {
            int extra = fieldCount == names.length ? rnd.nextInt(3) : 0;  // unknown fields come after all known ones
            p.packArrayHeader(1 + fieldCount + extra).packString("BlockStored");
            for (int f = 0; f < fieldCount; f++) {
                packValue(rnd, p, values.get(names[f]));
            }
            for (int e = 0; e < extra; e++) {
                p.packString("future-field");
            }
        }
        for (int f = 0; f < fieldCount; f++) {
            putView(view, names[f], values.get(names[f]));
        }
        if (!view.containsKey("block_hashes")) {
            view.put("block_hashes", List.of());
        }
        expected.add(view);
    }

    private static void removed(Random rnd, MessageBufferPacker p, List<Map<String, Object>> expected) throws IOException {
        long[] hashes = new long[1 + rnd.nextInt(4)];
        for (int i = 0; i < hashes.length; i++) {
            hashes[i] = rnd.nextLong();
        }
        String medium = rnd.nextBoolean() ? "GPU" : null;
        Integer group = rnd.nextBoolean() ? null : rnd.nextInt(3);
        String locality = rnd.nextBoolean() ? null : "REMOTE";
        String ownership = rnd.nextBoolean() ? null : "pod-" + rnd.nextInt(3);
        boolean asArray = rnd.nextBoolean();
        if (asArray) {
            p.packArrayHeader(6).packString("BlockRemoved");
            packValue(rnd, p, hashes);
            packValue(rnd, p, medium);
            packValue(rnd, p, group);
            packValue(rnd, p, locality);
            packValue(rnd, p, ownership);
        } else {  // map form, "type" second, no group_idx (omitted as a default)
            p.packMapHeader(3 + (locality == null ? 0 : 1)).packString("block_hashes");
            packValue(rnd, p, hashes);
            p.packString("type").packString("BlockRemoved").packString("medium");
            packValue(rnd, p, medium);
            if (locality != null) {
                p.packString("locality").packString(locality);
            }
        }
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("type", "BlockRemoved");
        putView(view, "block_hashes", hashes);
        putView(view, "medium", medium);
        putView(view, "locality", locality);
        if (asArray) {
            putView(view, "group_idx", group);
            putView(view, "ownership", ownership);
        }
        expected.add(view);
    }

    /** A random extra_keys value: what goes on the wire (lists, tagged maps, strings, nil) and its expected view. */
    record ExtraKeys(List<Object> wire, List<List<Map<String, Object>>> view) {
        static ExtraKeys random(Random rnd) {
            List<Object> wire = new ArrayList<>();
            List<List<Map<String, Object>>> view = new ArrayList<>();
            for (int b = rnd.nextInt(4); b > 0; b--) {
                if (rnd.nextInt(3) == 0) {
                    wire.add(null);
                    view.add(List.of());
                    continue;
                }
                List<Object> keys = new ArrayList<>();
                List<Map<String, Object>> keyViews = new ArrayList<>();
                for (int k = rnd.nextInt(3); k > 0; k--) {
                    String v = "v" + rnd.nextInt(100);
                    switch (rnd.nextInt(4)) {
                        case 0 -> {
                            keys.add(v);
                            keyViews.add(Map.of("kind", "LEGACY", "value", v));
                        }
                        case 1 -> {
                            keys.add(tagged(rnd, "type", "lora", "name", v));
                            keyViews.add(Map.of("kind", "LORA", "value", v));
                        }
                        case 2 -> {
                            Map<String, Object> mm = tagged(rnd, "type", "mm", "identifier", v);
                            mm.put("offset", 3);
                            keys.add(mm);
                            keyViews.add(Map.of("kind", "MM", "value", v, "offset", 3L));
                        }
                        default -> {
                            keys.add(tagged(rnd, "type", "future_kind", "note", v));
                            keyViews.add(Map.of("kind", "UNKNOWN_EXTRA_KEY", "value", v));
                        }
                    }
                }
                wire.add(keys);
                view.add(keyViews);
            }
            return new ExtraKeys(wire, view);
        }

        /** The tag first (as msgspec writes it) or last. */
        private static Map<String, Object> tagged(Random rnd, String k1, Object v1, String k2, Object v2) {
            Map<String, Object> m = new LinkedHashMap<>();
            if (rnd.nextBoolean()) {
                m.put(k1, v1);
                m.put(k2, v2);
            } else {
                m.put(k2, v2);
                m.put(k1, v1);
            }
            return m;
        }
    }

    private static void packValue(Random rnd, MessageBufferPacker p, Object v) throws IOException {
        if (v == null) {
            p.packNil();
        } else if (v instanceof long[] hashes) {
            p.packArrayHeader(hashes.length);
            for (long h : hashes) {
                packHash(rnd, p, h);
            }
        } else if (v instanceof Long h) {
            packHash(rnd, p, h);
        } else if (v instanceof int[] tokens) {
            p.packArrayHeader(tokens.length);
            for (int t : tokens) {
                p.packInt(t);
            }
        } else if (v instanceof Integer i) {
            p.packInt(i);
        } else if (v instanceof ExtraKeys k) {
            packValue(rnd, p, k.wire());
        } else if (v instanceof List<?> list) {
            p.packArrayHeader(list.size());
            for (Object o : list) {
                packValue(rnd, p, o);
            }
        } else if (v instanceof Map<?, ?> map) {
            p.packMapHeader(map.size());
            for (Map.Entry<?, ?> e : map.entrySet()) {
                packValue(rnd, p, e.getKey());
                packValue(rnd, p, e.getValue());
            }
        } else {
            p.packString((String) v);
        }
    }

    /** The same 64 bits as a msgpack int (uint64 when negative as signed, or a negative int), or as bytes. */
    private static void packHash(Random rnd, MessageBufferPacker p, long h) throws IOException {
        switch (rnd.nextInt(4)) {
            case 0 -> p.packLong(h);
            case 1 -> p.packBigInteger(new BigInteger(Long.toUnsignedString(h)));
            default -> {
                int len = rnd.nextBoolean() ? 32 : 16;
                byte[] b = new byte[len];
                rnd.nextBytes(b);
                for (int i = 0; i < 8; i++) {
                    b[len - 1 - i] = (byte) (h >>> (8 * i));
                }
                p.packBinaryHeader(len).writePayload(b);
            }
        }
    }

    private static void putView(Map<String, Object> view, String name, Object v) {
        if (v == null) {
            return;
        }
        if (v instanceof long[] hashes) {
            List<String> s = new ArrayList<>();
            for (long h : hashes) {
                s.add(Long.toUnsignedString(h));
            }
            view.put(name, s);
        } else if (v instanceof Long h) {
            view.put(name, Long.toUnsignedString(h));
        } else if (v instanceof int[] tokens) {
            List<Long> s = new ArrayList<>();
            for (int t : tokens) {
                s.add((long) t);
            }
            view.put(name, s);
        } else if (v instanceof Integer i) {
            view.put(name, (long) i);
        } else if (v instanceof ExtraKeys k) {
            view.put(name, k.view());
        } else if (name.equals("locality")) {
            String l = ((String) v).toUpperCase(java.util.Locale.ROOT);
            view.put(name, l.equals("LOCAL") || l.equals("REMOTE") ? l : "UNKNOWN_LOCALITY");
        } else {
            view.put(name, v);
        }
    }
}
