package io.kvrelay.ingest.decode;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvrelay.schemas.AvroCodec;
import io.kvrelay.schemas.KvEventBatchEncoder;
import io.kvrelay.schemas.avro.EventOrigin;
import io.kvrelay.schemas.avro.KvEventBatch;
import io.kvrelay.sim.wire.HashEncoding;
import io.kvrelay.sim.wire.PayloadEncoder;
import io.kvrelay.sim.wire.PayloadLayout;
import io.kvrelay.sim.wire.SimEvent;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** What vllm-sim's encoder writes in every layout, the bridge's decoder reads back, newest fields included. */
class SimRoundTripTest {
    static final long DEADBEEF = 0xDEADBEEF12345678L;

    final KvEventDecoder decoder = new KvEventDecoder();

    /** The content of vllm-sim's newest-layout golden (PayloadEncoderHexTest.newestEvents) and a few more. */
    static List<SimEvent> events() {
        List<Object> block0 = List.of(SimEvent.ExtraKey.lora("sql-adapter"), SimEvent.ExtraKey.cacheSalt("tenant-7"),
            SimEvent.ExtraKey.mm("img-1", 2));
        List<Object> block1 = List.of(SimEvent.ExtraKey.lora("sql-adapter"),
            SimEvent.ExtraKey.promptEmbeds(new byte[] {(byte) 0xca, (byte) 0xfe, (byte) 0xba, (byte) 0xbe}));
        List<Object> offloaded = List.of(SimEvent.ExtraKey.legacy(List.of("mm-hash", 0)),
            SimEvent.ExtraKey.mm(new byte[] {0, (byte) 0xff}, 0), "Alice");
        return List.of(
            new SimEvent.Stored(new long[] {DEADBEEF, -1L}, null, new int[] {1, 2, 3, 4, 5, 6, 7, 8}, 4, null, "GPU",
                "sql-adapter", 1, List.of(block0, block1), 0, "full_attention", null, "LOCAL", "req-1", null),
            new SimEvent.Stored(new long[] {7}, DEADBEEF, new int[0], 4, 3, SimEvent.MEDIUM_STORAGE, null, 2,
                List.of(offloaded), null, null, 128, SimEvent.REMOTE, null, null),
            SimEvent.Stored.gpu(new long[] {8}, 7L, new int[] {9, 9, 9, 9}, 4),
            new SimEvent.Removed(new long[] {DEADBEEF}, "STORAGE", 0, "REMOTE", "pod-b", null),
            SimEvent.Removed.gpu(8),
            new SimEvent.Cleared(),
            new SimEvent.Unknown("BlockPinned", new long[] {1}));
    }

    static Stream<Arguments> layouts() {
        List<Arguments> out = new ArrayList<>();
        for (PayloadLayout layout : PayloadLayout.values()) {
            for (HashEncoding hashes : HashEncoding.values()) {
                out.add(Arguments.of(layout, hashes));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("layouts")
    void shouldDecodeWhatTheSimulatorEncodes(PayloadLayout layout, HashEncoding hashes) throws Exception {
        byte[] payload = new PayloadEncoder(layout, hashes).encode(1757500000.25, 2, events());

        DecodedBatch b = decoder.decode(payload);

        List<Map<String, Object>> expected = new ArrayList<>();
        for (SimEvent e : events()) {
            if (!(e instanceof SimEvent.Unknown)) {
                expected.add(view(e, layout));
            }
        }
        assertThat(EventView.of(b)).as(HexFormat.of().formatHex(payload)).isEqualTo(expected);
        assertThat(b.skippedUnknown()).isOne();
        assertThat(b.skippedFields()).isZero();
        assertThat(b.dataParallelRank()).isEqualTo(layout == PayloadLayout.ARRAY_LEGACY ? DecodedBatch.NO_RANK : 2);
    }

    @Test
    void shouldDecodeMsgspecsEncodingOfTheNewestArrayLayout() throws Exception {
        // vllm-sim/src/test/resources/newest-layout-msgspec.py, NEWEST_ARRAY (PayloadEncoderHexTest pins the same).
        DecodedBatch b = decoder.decode(HexFormat.of().parseHex(""
            + "93cb41da305498100000949fab426c6f636b53746f72656492cfdeadbeef12345678cfffffffffffffffffc0980102030405"
            + "06070804c0a3475055ab73716c2d6164617074657201929382a474797065a46c6f7261a46e616d65ab73716c2d6164617074"
            + "657282a474797065aa63616368655f73616c74a473616c74a874656e616e742d3783a474797065a26d6daa6964656e746966"
            + "696572a5696d672d31a66f6666736574029282a474797065a46c6f7261a46e616d65ab73716c2d6164617074657282a47479"
            + "7065ad70726f6d70745f656d62656473a468617368c404cafebabe00ae66756c6c5f617474656e74696f6ec0a54c4f43414c"
            + "a57265712d319fab426c6f636b53746f7265649107cfdeadbeef123456789004c0a753544f52414745c002919282a4747970"
            + "65a66c6567616379a576616c756592a76d6d2d686173680083a474797065a26d6daa6964656e746966696572c40200ffa66f"
            + "666673657400c0c0c0a652454d4f5445c096ac426c6f636b52656d6f76656491cfdeadbeef12345678a753544f5241474500"
            + "a652454d4f5445a5706f642d6291b0416c6c426c6f636b73436c656172656400"));

        List<Map<String, Object>> views = EventView.of(b);
        assertThat(views).hasSize(4);
        assertThat(views.get(0)).containsEntry("event_version", 1L).containsEntry("locality", "LOCAL")
            .containsEntry("ownership", "req-1").containsEntry("group_idx", 0L)
            .containsEntry("extra_keys", List.of(
                List.of(key("LORA", "sql-adapter"), key("CACHE_SALT", "tenant-7"),
                    Map.of("kind", "MM", "value", "img-1", "offset", 2L)),
                List.of(key("LORA", "sql-adapter"),
                    Map.of("kind", "PROMPT_EMBEDS", "value", "cafebabe", "digest", "cafebabe"))));
        assertThat(views.get(1)).containsEntry("event_version", 2L).containsEntry("medium", "STORAGE")
            .containsEntry("token_ids", List.of()).containsEntry("locality", "REMOTE").doesNotContainKey("ownership");
        assertThat(views.get(2)).isEqualTo(Map.of("type", "BlockRemoved", "block_hashes",
            List.of(Long.toUnsignedString(DEADBEEF)), "medium", "STORAGE", "group_idx", 0L, "locality", "REMOTE",
            "ownership", "pod-b"));
        assertThat(b.skippedFields()).isZero();
    }

    @Test
    void shouldWriteTheDecodedNewestFieldsToKafkasAvroAndReadThemBack() throws Exception {
        DecodedBatch b = decoder.decode(new PayloadEncoder(PayloadLayout.NEWEST_ARRAY, HashEncoding.BYTES)
            .encode(1757500000.25, 0, events()));
        KvEventBatch record = KvEventBatch.newBuilder().setNamespace("ns").setService("svc").setPod("pod-0")
            .setDpRank(0).setTopic("kv@pod-0@m").setSequence(5).setOrigin(EventOrigin.LIVE).setReceivedAtMicros(1)
            .setEvents(b.events()).build();

        KvEventBatch back = AvroCodec.kvEvents().decode(new KvEventBatchEncoder().encode(record));

        assertThat(EventView.of(new DecodedBatch(0, 0, back.getEvents(), 0))).isEqualTo(EventView.of(b));
    }

    private static Map<String, Object> key(String kind, String value) {
        return EventView.key(kind, value);
    }

    // ---- what each layout carries of a SimEvent, in EventView's vocabulary

    static Map<String, Object> view(SimEvent e, PayloadLayout layout) {
        Map<String, Object> m = new LinkedHashMap<>();
        boolean legacy = layout == PayloadLayout.ARRAY_LEGACY;
        boolean newest = layout.newestFields();
        if (e instanceof SimEvent.Stored s) {
            m.put("type", "BlockStored");
            m.put("block_hashes", hashes(s.hashes()));
            put(m, "parent_block_hash", s.parent() == null ? null : Long.toUnsignedString(s.parent()));
            List<Long> tokens = new ArrayList<>();
            for (int t : s.tokenIds()) {
                tokens.add((long) t);
            }
            m.put("token_ids", tokens);
            m.put("block_size", (long) s.blockSize());
            put(m, "lora_id", s.loraId());
            if (!legacy) {
                put(m, "medium", s.medium());
                put(m, "lora_name", s.loraName());
                put(m, "group_idx", s.groupIdx());
                put(m, "kv_cache_spec_kind", s.specKind());
                put(m, "kv_cache_spec_sliding_window", s.slidingWindow());
                put(m, "extra_keys", s.extraKeys() == null ? null : extraKeys(s.extraKeys()));
            }
            if (newest) {
                // The map form omits event_version while it is the default 1; the array form always has it.
                boolean sent = !layout.mapEvents() || s.eventVersion() != SimEvent.DEFAULT_EVENT_VERSION;
                put(m, "event_version", sent ? s.eventVersion() : null);
                put(m, "locality", s.locality());
                put(m, "ownership", s.ownership());
            }
        } else if (e instanceof SimEvent.Removed r) {
            m.put("type", "BlockRemoved");
            m.put("block_hashes", hashes(r.hashes()));
            if (!legacy) {
                put(m, "medium", r.medium());
                put(m, "group_idx", r.groupIdx());
            }
            if (newest) {
                put(m, "locality", r.locality());
                put(m, "ownership", r.ownership());
            }
        } else {
            m.put("type", "AllBlocksCleared");
        }
        return m;
    }

    private static List<List<Map<String, Object>>> extraKeys(List<?> blocks) {
        List<List<Map<String, Object>>> out = new ArrayList<>();
        for (Object block : blocks) {
            List<Map<String, Object>> keys = new ArrayList<>();
            for (Object k : block == null ? List.of() : (List<?>) block) {
                keys.add(keyView(k));
            }
            out.add(keys);
        }
        return out;
    }

    private static Map<String, Object> keyView(Object k) {
        if (k instanceof String s) {
            return key("LEGACY", s);
        }
        SimEvent.ExtraKey t = (SimEvent.ExtraKey) k;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kind", t.type().toUpperCase(Locale.ROOT));
        if (t.value() instanceof byte[] bytes) {
            m.put("value", HexFormat.of().formatHex(bytes));
            m.put("digest", HexFormat.of().formatHex(bytes));
        } else if (t.value() instanceof List<?> tuple) {
            StringBuilder json = new StringBuilder("[");
            for (Object o : tuple) {
                json.append(json.length() > 1 ? "," : "").append(o instanceof String s ? "\"" + s + "\"" : o);
            }
            m.put("value", json.append(']').toString());
        } else {
            m.put("value", String.valueOf(t.value()));
        }
        if (t.offset() != null) {
            m.put("offset", t.offset());
        }
        return m;
    }

    private static List<String> hashes(long[] hashes) {
        List<String> out = new ArrayList<>();
        for (long h : hashes) {
            out.add(Long.toUnsignedString(h));
        }
        return out;
    }

    private static void put(Map<String, Object> m, String key, Object value) {
        if (value instanceof Integer i) {
            value = (long) i;
        }
        if (value != null) {
            m.put(key, value);
        }
    }
}
