package io.kvrelay.stream.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvrelay.schemas.AvroCodec;
import io.kvrelay.schemas.BlockKeys;
import io.kvrelay.schemas.KafkaClients;
import io.kvrelay.schemas.TopicCreator;
import io.kvrelay.schemas.Topics;
import io.kvrelay.schemas.avro.BlockStored;
import io.kvrelay.schemas.avro.EventOrigin;
import io.kvrelay.schemas.avro.KvEventBatch;
import io.kvrelay.stream.StreamApp;
import io.kvrelay.stream.StreamAppMain;
import io.kvrelay.stream.config.StreamAppConfig;
import io.kvrelay.testkit.ChildJvm;
import io.kvrelay.testkit.KafkaBroker;
import io.kvrelay.testkit.TestProducers;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Fast restarts (issue 16, item 5). A stream-app in a child JVM, a static member of its group, is killed with SIGKILL
 * (no leave, nothing closed) and started again with the same instance id (and state directory): it takes its
 * partitions back as the same member and answers every prompt as before, without waiting out the old member's
 * session. The session timeout is set to 5 minutes, so a restart that had to wait for it could not answer within the
 * deadline; the deadline itself is generous, because this machine is shared. And every store's changelog is compacted.
 */
class StreamAppRestartIT {
    private static final int PODS = 24;
    private static final int BS = 16;
    private static final long SESSION_TIMEOUT_MS = 300_000;
    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    @ParameterizedTest(name = "persistentState={0}")
    @ValueSource(booleans = {false, true})
    void shouldTakeItsPartitionsBackAndAnswerTheSameAfterKillDashNine(boolean persistent) throws Exception {
        KafkaBroker kafka = KafkaBroker.shared();
        String prefix = "it-restart-" + UUID.randomUUID().toString().substring(0, 8);
        String appId = prefix + "-app";
        Topics topics = Topics.withPrefix(prefix, (short) 1);
        int port = freePort();
        Path config = dir.resolve("stream.json");
        Files.writeString(config, json.writeValueAsString(Map.of("applicationId", appId,
                "bootstrapServers", kafka.bootstrapServers(), "topicPrefix", prefix,
                "stateDir", dir.resolve("state").toString(), "httpPort", port, "heartbeatTtlMs", 600_000,
                "groupInstanceId", "stream-0", "sessionTimeoutMs", SESSION_TIMEOUT_MS,
                "persistentState", persistent)));
        // Topics first: the producer must not wait on a child JVM that starts slowly on a busy machine.
        TopicCreator.ensure(new KafkaClients(kafka.bootstrapServers(), Map.of()), topics.all());
        ChildJvm app = start(config, "first");
        try (KafkaProducer<byte[], byte[]> producer = TestProducers.seeding(kafka.bootstrapServers());
             Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            for (int i = 0; i < PODS; i++) {
                send(producer, topics.kvEvents().name(), "pod-" + i, batch("pod-" + i, prompt(i), 0));
            }
            producer.flush();
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                    .until(() -> complete(answers(port)));
            Map<Integer, JsonNode> before = answers(port);
            MemberDescription memberBefore = onlyMember(admin, appId);
            assertThat(memberBefore.groupInstanceId()).contains("stream-0-1"); // Kafka Streams adds the thread's index
            assertThat(partitions(memberBefore)).hasSize(2 * Topics.KV_EVENT_PARTITIONS);

            long killedAt = System.nanoTime();
            app.kill();
            app = start(config, "restarted");
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                    .until(() -> answers(port).equals(before));
            long answeredAfterMs = (System.nanoTime() - killedAt) / 1_000_000;
            System.out.printf("persistentState=%s: kill -> same answers in %d ms%n", persistent, answeredAfterMs);
            // A dynamic member, or a static one not recognised, could only get here once the old session expired.
            assertThat(answeredAfterMs).as("kill -> same answers, ms").isLessThan(SESSION_TIMEOUT_MS * 4 / 5);
            // The same static member holds the same partitions, under a new member id (a new process); nobody else
            // joined in between.
            MemberDescription memberAfter = onlyMember(admin, appId);
            assertThat(memberAfter.groupInstanceId()).isEqualTo(memberBefore.groupInstanceId());
            assertThat(memberAfter.consumerId()).isNotEqualTo(memberBefore.consumerId());
            assertThat(partitions(memberAfter)).isEqualTo(partitions(memberBefore));
            // ... and it goes on applying events: one more block for pod 0.
            send(producer, topics.kvEvents().name(), "pod-0", batch("pod-0", extended(0), 1));
            producer.flush();
            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                    .until(() -> match(port, extended(0)).path("workers").get(0).path("matched").asInt()
                            == extended(0).length / BS);
            // A graceful stop (SIGTERM) closes it: it leaves the group at once, long before its session would expire.
            app.stop(Duration.ofMinutes(2));
            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500)).until(() -> admin
                    .describeConsumerGroups(List.of(appId)).all().get().get(appId).members().isEmpty());
        } finally {
            app.close();
        }
    }

    @Test
    void shouldKeepEveryStoreChangelogCompacted() throws Exception {
        KafkaBroker kafka = KafkaBroker.shared();
        String prefix = "it-changelog-" + UUID.randomUUID().toString().substring(0, 8);
        for (boolean persistent : new boolean[] {false, true}) {
            String appId = prefix + (persistent ? "-rocksdb" : "-memory");
            StreamAppConfig cfg = StreamAppConfig.local(kafka.bootstrapServers(), dir.resolve(appId))
                    .withApplicationId(appId).withTopicPrefix(prefix).withRestart(null, 0, persistent);
            try (StreamApp app = new StreamApp(cfg).start();
                 Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                         kafka.bootstrapServers()))) {
                await().atMost(Duration.ofMinutes(2)).until(app::healthy);
                Set<String> changelogs = new TreeSet<>();
                for (String t : admin.listTopics().names().get()) {
                    if (t.startsWith(appId + "-")) {
                        changelogs.add(t);
                    }
                }
                // The prefix index is derived from worker-blocks: no changelog of its own.
                assertThat(changelogs).containsExactly(appId + "-pod-state-changelog",
                        appId + "-worker-blocks-changelog");
                for (String t : changelogs) {
                    Config c = admin.describeConfigs(List.of(new ConfigResource(ConfigResource.Type.TOPIC, t)))
                            .all().get().values().iterator().next();
                    assertThat(c.get(TopicConfig.CLEANUP_POLICY_CONFIG).value()).as(t)
                            .isEqualTo(TopicConfig.CLEANUP_POLICY_COMPACT);
                }
            }
        }
    }

    private ChildJvm start(Path config, String name) {
        return ChildJvm.start(StreamAppMain.class.getName(), List.of("-Xmx384m", "-XX:TieredStopAtLevel=1"),
                List.of("--config", config.toString()), dir.resolve("stream-app-" + name + ".log"));
    }

    private static MemberDescription onlyMember(Admin admin, String group) throws Exception {
        ConsumerGroupDescription g = admin.describeConsumerGroups(List.of(group)).all().get().get(group);
        assertThat(g.members()).as("members of %s", group).hasSize(1);
        return g.members().iterator().next();
    }

    private static Set<String> partitions(MemberDescription m) {
        Set<String> out = new TreeSet<>();
        m.assignment().topicPartitions().forEach(tp -> out.add(tp.toString()));
        return out;
    }

    /** Pod i's prompt: a shared 2-block prefix, then 1 + i % 6 blocks of its own. */
    private static int[] prompt(int i) {
        int[] t = new int[(3 + i % 6) * BS];
        for (int j = 0; j < t.length; j++) {
            t[j] = j < 2 * BS ? 1 + j : 10_000 * (i + 1) + j;
        }
        return t;
    }

    private static int[] extended(int i) {
        int[] p = prompt(i);
        int[] t = java.util.Arrays.copyOf(p, p.length + BS);
        for (int j = p.length; j < t.length; j++) {
            t[j] = 900_000 + j;
        }
        return t;
    }

    /** Every pod's prompt asked of the instance: the answers, or an exception while it does not answer 200. */
    private Map<Integer, JsonNode> answers(int port) throws Exception {
        Map<Integer, JsonNode> out = new TreeMap<>();
        for (int i = 0; i < PODS; i++) {
            out.put(i, match(port, prompt(i)));
        }
        return out;
    }

    /** Every pod holds the shared prefix, and each prompt's longest match is its own pod's, all of it. */
    private static boolean complete(Map<Integer, JsonNode> answers) {
        for (Map.Entry<Integer, JsonNode> a : answers.entrySet()) {
            JsonNode workers = a.getValue().path("workers");
            if (workers.size() != PODS || !workers.get(0).path("pod").asText().equals("pod-" + a.getKey())
                    || workers.get(0).path("matched").asInt() != prompt(a.getKey()).length / BS) {
                return false;
            }
        }
        return true;
    }

    private JsonNode match(int port, int[] tokens) throws Exception {
        List<String> hex = new ArrayList<>();
        for (long k : BlockKeys.chain(tokens, BS, null)) {
            hex.add(String.format("%016x", k));
        }
        HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                                + "/v1/prefix-match")).timeout(Duration.ofSeconds(10))
                        .POST(HttpRequest.BodyPublishers.ofString(json.writeValueAsString(Map.of("namespace", "ns",
                                "service", "svc", "keys", hex)))).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("prefix-match answered " + r.statusCode());
        }
        return json.readTree(r.body());
    }

    private static void send(KafkaProducer<byte[], byte[]> p, String topic, String pod, byte[] value) {
        p.send(new ProducerRecord<>(topic, ("ns/svc/" + pod).getBytes(StandardCharsets.UTF_8), value));
    }

    /** One BlockStored of the blocks of {@code tokens} from {@code first} on, chained to block first - 1. */
    private static byte[] batch(String pod, int[] tokens, long sequence) {
        int n = tokens.length / BS;
        int first = sequence == 0 ? 0 : n - 1;
        List<Long> hashes = new ArrayList<>();
        List<Integer> t = new ArrayList<>();
        for (int b = first; b < n; b++) {
            hashes.add((long) pod.hashCode() * 1_000 + b + 1);
            for (int j = 0; j < BS; j++) {
                t.add(tokens[b * BS + j]);
            }
        }
        BlockStored s = new BlockStored();
        s.setBlockHashes(hashes);
        s.setParentBlockHash(first == 0 ? null : (long) pod.hashCode() * 1_000 + first);
        s.setTokenIds(t);
        s.setBlockSize(BS);
        s.setMedium("GPU");
        KvEventBatch b = KvEventBatch.newBuilder().setNamespace("ns").setService("svc").setPod(pod).setDpRank(0)
                .setSequence(sequence).setOrigin(EventOrigin.LIVE)
                .setReceivedAtMicros(System.currentTimeMillis() * 1000)
                .setEvents(List.of(s)).build();
        return AvroCodec.kvEvents().encode(b);
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
