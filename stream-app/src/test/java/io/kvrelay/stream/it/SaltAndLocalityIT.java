package io.kvrelay.stream.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvrelay.schemas.AvroCodec;
import io.kvrelay.schemas.BlockKeys;
import io.kvrelay.schemas.Topics;
import io.kvrelay.schemas.avro.BlockLocality;
import io.kvrelay.schemas.avro.BlockStored;
import io.kvrelay.schemas.avro.EventOrigin;
import io.kvrelay.schemas.avro.ExtraKey;
import io.kvrelay.schemas.avro.ExtraKeyKind;
import io.kvrelay.schemas.avro.KvEventBatch;
import io.kvrelay.stream.StreamApp;
import io.kvrelay.stream.config.StreamAppConfig;
import io.kvrelay.testkit.KafkaBroker;
import io.kvrelay.testkit.TestProducers;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11 on a real broker: three pods stored the same tokens, one under a cache salt, one plainly, one only as
 * REMOTE blocks. A prompt with the salt matches only the salted pod, with another salt nobody, without a salt only
 * the plain pod; the REMOTE pod never matches and holds nothing. Both ways of asking stream-app agree: the keys the
 * router computes ({@code BlockKeys.keys}) and the tokens with {@code cacheSalt}.
 */
class SaltAndLocalityIT {
    private static final int BS = 16;
    private static final int BLOCKS = 3;
    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    @Test
    void shouldMatchASaltedPromptOnlyWithItsSaltAndNeverARemoteStore() throws Exception {
        KafkaBroker kafka = KafkaBroker.shared();
        String prefix = "it-salt-" + UUID.randomUUID().toString().substring(0, 8);
        Topics topics = Topics.withPrefix(prefix, (short) 1);
        StreamAppConfig config = StreamAppConfig.local(kafka.bootstrapServers(), dir)
                .withApplicationId(prefix + "-app").withTopicPrefix(prefix).withHeartbeatTtlMs(600_000);
        int[] prompt = new int[BLOCKS * BS];
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = 7_000 + i;
        }
        try (StreamApp app = new StreamApp(config).start()) {
            try (KafkaProducer<byte[], byte[]> p = TestProducers.seeding(kafka.bootstrapServers())) {
                send(p, topics.kvEvents().name(), "salted", stored("salted", prompt, "tenant-a", null));
                send(p, topics.kvEvents().name(), "plain", stored("plain", prompt, null, null));
                send(p, topics.kvEvents().name(), "remote", stored("remote", prompt, null, BlockLocality.REMOTE));
                p.flush();
            }
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                    .until(() -> app.healthy() && app.indexEntries() == 2L * BLOCKS);

            // The keys a router computes for each request.
            assertThat(pods(byKeys(app, BlockKeys.Extras.of(null, "tenant-a", null), prompt)))
                    .containsExactly(Map.entry("salted", BLOCKS));
            assertThat(pods(byKeys(app, BlockKeys.Extras.of(null, "tenant-b", null), prompt))).isEmpty();
            assertThat(pods(byKeys(app, BlockKeys.Extras.NONE, prompt))).as("the REMOTE pod is no match")
                    .containsExactly(Map.entry("plain", BLOCKS));

            // The same through tokens and cacheSalt, which stream-app keys itself.
            assertThat(pods(byTokens(app, "tenant-a", prompt))).containsExactly(Map.entry("salted", BLOCKS));
            assertThat(pods(byTokens(app, "tenant-b", prompt))).isEmpty();
            assertThat(pods(byTokens(app, null, prompt))).containsExactly(Map.entry("plain", BLOCKS));

            // Bad extra keys are a 400 that names the field.
            Reply overlap = post(app.httpPort(), "/v1/prefix-match", json.writeValueAsString(Map.of(
                    "namespace", "ns", "service", "svc", "tokens", prompt, "blockSize", BS,
                    "multimodal", List.of(Map.of("identifier", "a", "offset", 0, "length", 8),
                            Map.of("identifier", "b", "offset", 4, "length", 8)))));
            assertThat(overlap.status()).isEqualTo(400);
            assertThat(overlap.body().path("error").asText()).contains("overlap");
        }
    }

    private JsonNode byKeys(StreamApp app, BlockKeys.Extras extras, int[] prompt) throws Exception {
        List<String> hex = new ArrayList<>();
        for (long k : BlockKeys.keys(prompt, BS, extras)) {
            hex.add(BlockKeys.toHex(k));
        }
        Reply r = post(app.httpPort(), "/v1/prefix-match", json.writeValueAsString(Map.of("namespace", "ns",
                "service", "svc", "keys", hex)));
        assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
        return r.body();
    }

    private JsonNode byTokens(StreamApp app, String salt, int[] prompt) throws Exception {
        Map<String, Object> body = new HashMap<>(Map.of("namespace", "ns", "service", "svc", "tokens", prompt,
                "blockSize", BS));
        if (salt != null) {
            body.put("cacheSalt", salt);
        }
        Reply r = post(app.httpPort(), "/v1/prefix-match", json.writeValueAsString(body));
        assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
        return r.body();
    }

    private static Map<String, Integer> pods(JsonNode answer) {
        Map<String, Integer> out = new HashMap<>();
        answer.path("workers").forEach(w -> out.put(w.path("pod").asText(), w.path("matched").asInt()));
        return out;
    }

    private record Reply(int status, JsonNode body) {
    }

    private Reply post(int port, String path, String body) throws Exception {
        HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        return new Reply(r.statusCode(), json.readTree(r.body()));
    }

    private static void send(KafkaProducer<byte[], byte[]> p, String topic, String pod, byte[] value) {
        p.send(new ProducerRecord<>(topic, ("ns/svc/" + pod).getBytes(StandardCharsets.UTF_8), value));
    }

    /** The whole prompt stored in one event, as vLLM's typed extra keys carry a salt: on the first block only. */
    private static byte[] stored(String pod, int[] tokens, String salt, BlockLocality locality) {
        List<Long> hashes = new ArrayList<>();
        List<Integer> t = new ArrayList<>();
        List<List<ExtraKey>> extra = new ArrayList<>();
        for (int i = 0; i < BLOCKS; i++) {
            hashes.add(pod.hashCode() * 100L + i);
            extra.add(i == 0 && salt != null ? List.of(new ExtraKey(ExtraKeyKind.CACHE_SALT, salt, null, null))
                    : List.of());
        }
        for (int x : tokens) {
            t.add(x);
        }
        BlockStored s = new BlockStored();
        s.setBlockHashes(hashes);
        s.setTokenIds(t);
        s.setBlockSize(BS);
        s.setMedium("GPU");
        s.setExtraKeys(extra);
        s.setLocality(locality);
        return AvroCodec.kvEvents().encode(KvEventBatch.newBuilder().setNamespace("ns").setService("svc")
                .setPod(pod).setDpRank(0).setSequence(0).setOrigin(EventOrigin.LIVE).setReceivedAtMicros(0)
                .setEvents(List.of(s)).build());
    }
}
