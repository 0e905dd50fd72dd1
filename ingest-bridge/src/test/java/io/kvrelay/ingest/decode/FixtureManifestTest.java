package io.kvrelay.ingest.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every fixture in the vllm-wire manifest decodes exactly as the manifest describes.
 *
 * <p>The fixtures (real msgspec output of each vLLM payload layout) live once in the repository, in this module's
 * src/test/resources/vllm-wire: the decoder is what they test first. vllm-sim's FixtureReencodeTest reads the same
 * folder, so a fresh clone runs both and nothing is skipped.
 */
class FixtureManifestTest {
    /**
     * Fields the fixtures carry on the wire but manifest.json does not list (it stops at lora_name). Its note says
     * unlisted fields are absent or null, which is not true for these; they are checked here so that every decoded
     * field is still asserted. Key: "fixture#eventIndex".
     */
    static final Map<String, Map<String, Object>> NOT_IN_MANIFEST = Map.of(
        "array-full#0", Map.of("group_idx", 0L, "kv_cache_spec_kind", "full_attention",
            "extra_keys", List.of(List.of(), List.of())),
        "array-full#1", Map.of("group_idx", 0L),
        // extra_keys [["sql-adapter"]]: an untyped (pre-typed-keys) LoRA key.
        "map-events#0", Map.of("lora_id", 7L, "group_idx", 0L, "kv_cache_spec_kind", "full_attention",
            "extra_keys", List.of(List.of(EventView.key("LEGACY", "sql-adapter")))),
        "map-events#1", Map.of("group_idx", 0L),
        "map-events#2", Map.of("group_idx", 0L));

    static Path fixtureDir() {
        URL url = FixtureManifestTest.class.getResource("/vllm-wire/manifest.json");
        if (url == null) {
            throw new IllegalStateException("vllm-wire fixtures missing from the test classpath");
        }
        try {
            return Path.of(url.toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] fixture(String name) throws IOException {
        return Files.readAllBytes(fixtureDir().resolve(name + ".msgpack"));
    }

    static JsonNode manifest() throws IOException {
        return new ObjectMapper().readTree(fixtureDir().resolve("manifest.json").toFile());
    }

    @TestFactory
    Stream<DynamicTest> everyFixtureDecodesAsDescribed() throws IOException {
        JsonNode manifest = manifest();
        List<DynamicTest> tests = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = manifest.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().startsWith("_")) {
                continue;
            }
            String name = e.getKey();
            JsonNode spec = e.getValue();
            if (spec.path("error").asBoolean(false)) {
                tests.add(DynamicTest.dynamicTest(name + " fails", () ->
                    assertThatThrownBy(() -> new KvEventDecoder().decode(fixture(name)))
                        .isInstanceOf(DecodeException.class)));
            } else {
                tests.add(DynamicTest.dynamicTest(name, () -> checkFixture(name, spec)));
            }
        }
        assertThat(tests).hasSize(8);
        return tests.stream();
    }

    private static void checkFixture(String name, JsonNode spec) throws Exception {
        DecodedBatch batch = new KvEventDecoder().decode(fixture(name));

        JsonNode rank = spec.get("data_parallel_rank");
        assertThat(batch.dataParallelRank()).as("rank").isEqualTo(rank.isNull() ? DecodedBatch.NO_RANK : rank.asInt());
        assertThat(batch.skippedUnknown()).as("skipped_unknown").isEqualTo(spec.path("skipped_unknown").asInt(0));
        assertThat(batch.timestampSeconds()).as("ts").isBetween(1.7e9, 1.8e9);

        List<Map<String, Object>> expected = new ArrayList<>();
        JsonNode events = spec.get("events_expected");
        for (int i = 0; i < events.size(); i++) {
            Map<String, Object> m = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> f = events.get(i).fields(); f.hasNext(); ) {
                Map.Entry<String, JsonNode> field = f.next();
                Object v = plain(field.getValue());
                if (v != null) {
                    m.put(field.getKey(), v);  // null in the manifest means null after decoding: leave it out
                }
            }
            m.putAll(NOT_IN_MANIFEST.getOrDefault(name + "#" + i, Map.of()));
            expected.add(m);
        }
        // Views hold only non-null fields, so this also checks that nothing unlisted was decoded.
        assertThat(EventView.of(batch)).as(name).isEqualTo(expected);
    }

    private static Object plain(JsonNode n) {
        if (n.isNull()) {
            return null;
        }
        if (n.isArray()) {
            List<Object> out = new ArrayList<>();
            n.forEach(x -> out.add(plain(x)));
            return out;
        }
        return n.isIntegralNumber() ? (Object) n.asLong() : n.asText();
    }

    @Test
    void truncatedFixtureNamesTruncation() {
        assertThatThrownBy(() -> new KvEventDecoder().decode(fixture("bad-truncated")))
            .isInstanceOf(DecodeException.class)
            .hasMessageContaining("truncated")
            .hasMessageContaining("event 0 (BlockStored)");
    }

    @Test
    void notABatchFixtureNamesTheMissingEvents() {
        assertThatThrownBy(() -> new KvEventDecoder().decode(fixture("bad-not-a-batch")))
            .isInstanceOf(DecodeException.class)
            .hasMessageContaining("batch: map has no \"events\" key");
    }
}
