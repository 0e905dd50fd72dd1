package io.kvrelay.router.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvrelay.http.HttpLimits;
import io.kvrelay.router.RouterApp;
import io.kvrelay.router.config.RouterConfig;
import io.kvrelay.router.links.LinkConfig;
import io.kvrelay.schemas.AvroCodec;
import io.kvrelay.schemas.avro.BlockStored;
import io.kvrelay.schemas.avro.EventOrigin;
import io.kvrelay.schemas.avro.KvEventBatch;
import io.kvrelay.schemas.avro.PodState;
import io.kvrelay.schemas.avro.PodStatus;
import io.kvrelay.schemas.avro.WorkerStatus;
import io.kvrelay.stream.StreamApp;
import io.kvrelay.stream.config.StreamAppConfig;
import io.kvrelay.testkit.KafkaBroker;
import io.kvrelay.testkit.RedisServer;
import io.kvrelay.testkit.TestProducers;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The router and stream-app as a new user's security review meets them: hundreds of clients trickling their headers
 * do not stop either from answering; fuzzed bodies (malformed JSON, chunked, huge, deep, wrong types) are client
 * errors, never 5xx; namespace tokens keep one namespace's clients out of another's links; nothing a client can
 * store is unbounded. Real broker, Redis, stream-app and router; latencies are printed, asserted only generously.
 */
class HostileClientsIT {
    private static final int BS = 16;
    private static final String ADMIN = "admin-token-of-this-test";
    private static final String TOKEN_A = "token-of-namespace-a";
    private static final String TOKEN_B = "token-of-namespace-b";
    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @TempDir
    Path dir;

    @Test
    void slowClientsFuzzAndForeignNamespacesDoNoHarm() throws Exception {
        KafkaBroker kafka = KafkaBroker.shared();
        String prefix = "it-hostile-" + UUID.randomUUID().toString().substring(0, 8);
        StreamAppConfig sc = StreamAppConfig.local(kafka.bootstrapServers(), dir.resolve("s"))
                .withApplicationId(prefix).withTopicPrefix(prefix).withHeartbeatTtlMs(600_000);
        int[] prompt = new int[4 * BS];
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = 900 + i;
        }
        try (RedisServer redis = RedisServer.start(); StreamApp stream = new StreamApp(sc).start()) {
            try (KafkaProducer<byte[], byte[]> p = TestProducers.seeding(kafka.bootstrapServers())) {
                for (String ns : List.of("a", "b")) {
                    for (int i = 0; i < 2; i++) {
                        String pod = "pod-" + i;
                        byte[] key = (ns + "/svc/" + pod).getBytes(StandardCharsets.UTF_8);
                        p.send(new ProducerRecord<>(prefix + ".pod-status", key, status(ns, pod)));
                        p.send(new ProducerRecord<>(prefix + ".kv-events", key, stored(ns, pod, prompt)));
                    }
                }
                p.flush();
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> stream.healthy() && stream.indexEntries() == 16);
            RouterConfig rc = new RouterConfig("hostile", null, 0, 0,
                    List.of("http://127.0.0.1:" + stream.httpPort()), 500, 200, 0,
                    LinkConfig.of(redis.host(), redis.port(), Set.of("a", "b")).withRedisDeadlineMs(200), null, kafka.bootstrapServers(),
                    prefix, 0, ADMIN, null, null, Map.of("a", TOKEN_A, "b", TOKEN_B),
                    HttpLimits.defaults().withTimeouts(30_000, 60_000));
            try (RouterApp router = new RouterApp(rc).start()) {
                String r = "http://127.0.0.1:" + router.port();
                String s = "http://127.0.0.1:" + stream.httpPort();
                String route = "{\"namespace\":\"a\",\"service\":\"svc\",\"userId\":\"u1\",\"tokens\":"
                        + json.writeValueAsString(prompt) + "}";
                assertThat(post(r + "/v1/route", route, TOKEN_A).statusCode()).isEqualTo(200);

                slowClientsDoNotStopAnyone(router.port(), stream.httpPort(), r, s, route);
                fuzzedBodiesAreClientErrors(r, s, router.port(), stream.httpPort());
                namespacesAreKeptApart(r, route);
            }
        }
    }

    private void slowClientsDoNotStopAnyone(int routerPort, int streamPort, String r, String s, String route)
            throws Exception {
        List<Socket> slow = new ArrayList<>();
        try {
            for (int port : new int[] {routerPort, streamPort}) {
                for (int i = 0; i < 200; i++) {
                    Socket c = new Socket();
                    c.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
                    // Headers a byte at a time, never finished (the request timeout here is 30 s: longer than the test).
                    c.getOutputStream().write("POST /v1/route HTTP/1.1\r\nHost: x\r\nContent-Le".getBytes(
                            StandardCharsets.US_ASCII));
                    slow.add(c);
                }
            }
            for (Socket c : slow) {
                c.getOutputStream().write('n');
            }
            long worst = 0;
            for (int i = 0; i < 20; i++) {
                long t0 = System.nanoTime();
                assertThat(get(r + "/health").statusCode()).isEqualTo(200);
                assertThat(get(s + "/health").statusCode()).isEqualTo(200);
                assertThat(post(r + "/v1/route", route, TOKEN_A).statusCode()).isEqualTo(200);
                worst = Math.max(worst, (System.nanoTime() - t0) / 1_000_000);
            }
            System.out.printf("with 400 trickling clients: /health (router, stream-app) + /v1/route, worst of 20 "
                    + "rounds %d ms; load average %s%n", worst, java.nio.file.Files.readString(
                    Path.of("/proc/loadavg")).trim());
            // Generous: the claim is that they answer at all while the slow clients hold their sockets.
            assertThat(worst).isLessThan(5_000);
        } finally {
            for (Socket c : slow) {
                c.close();
            }
        }
    }

    private void fuzzedBodiesAreClientErrors(String r, String s, int routerPort, int streamPort) throws Exception {
        List<String> bodies = new ArrayList<>(List.of("", "{", "}", "[]", "null", "42", "\"x\"", "{\"namespace\":",
                "{\"namespace\":1,\"service\":[],\"tokens\":{}}", "{\"tokens\":[1,2,\"x\"]}",
                "{\"namespace\":\"a\",\"service\":\"svc\",\"tokens\":[1e400]}",
                "{\"namespace\":\"a\",\"service\":\"svc\",\"tokens\":[-1,99999999999]}",
                "{\"namespace\":\"a\",\"service\":\"svc\",\"keys\":[\"zz\"]}",
                "[".repeat(100_000) + "]".repeat(100_000), "{\"a\":".repeat(50_000) + "1" + "}".repeat(50_000),
                "\u0000\u0001\u0002", "{\"pod\":\"" + "p".repeat(300) + "\"}", "{\"users\":" + "[\"u\",".repeat(20_000)
                        + "\"u\"]}"));
        Random rnd = new Random(13);
        for (int i = 0; i < 30; i++) {
            byte[] junk = new byte[rnd.nextInt(2_000)];
            rnd.nextBytes(junk);
            bodies.add(new String(junk, StandardCharsets.ISO_8859_1));
        }
        List<String> posts = List.of(r + "/v1/route", r + "/v1/links/compute", r + "/v1/links-batch",
                r + "/v1/links/a/u1/svc", s + "/v1/prefix-match", s + "/v1/prefix-match?scope=local");
        int answered = 0;
        for (String url : posts) {
            for (String body : bodies) {
                HttpResponse<String> res = post(url, body, ADMIN);
                assertThat(res.statusCode()).as("%s with %.60s", url, body).isBetween(400, 499);
                assertThat(json.readTree(res.body()).path("error").asText()).isNotBlank();
                answered++;
            }
            HttpResponse<String> huge = post(url, "{\"x\":\"" + "y".repeat(9 * 1024 * 1024) + "\"}", ADMIN);
            assertThat(huge.statusCode()).as(url).isEqualTo(413);
            HttpResponse<String> put = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                    .PUT(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(put.statusCode()).as("PUT %s", url).isIn(405);
        }
        for (int port : new int[] {routerPort, streamPort}) {
            String path = port == routerPort ? "/v1/route" : "/v1/prefix-match";
            assertThat(raw(port, "POST " + path + " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "zz\r\n{}\r\n0\r\n\r\n")).startsWith("HTTP/1.1 400");
            assertThat(raw(port, "POST " + path + " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "2\r\n{}\r\n5\r\n{\r\n0\r\n\r\n")).startsWith("HTTP/1.1 4");
            assertThat(raw(port, "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n")).startsWith("HTTP/1.1 404")
                    .contains("application/json");
        }
        System.out.printf("fuzz: %d bodies on %d endpoints, every one a 4xx with a JSON error%n", answered,
                posts.size());
    }

    private void namespacesAreKeptApart(String r, String route) throws Exception {
        // A gateway of namespace A cannot route in B, read B's links, or write them.
        String inB = route.replace("\"namespace\":\"a\"", "\"namespace\":\"b\"");
        assertThat(post(r + "/v1/route", inB, TOKEN_A).statusCode()).isEqualTo(401);
        assertThat(post(r + "/v1/route", inB, null).statusCode()).isEqualTo(401);
        assertThat(post(r + "/v1/route", inB, TOKEN_B).statusCode()).isEqualTo(200);
        assertThat(post(r + "/v1/links/b/u1/svc", "{\"pod\":\"pod-0\"}", TOKEN_A).statusCode()).isEqualTo(401);
        assertThat(get(r + "/v1/links/b/u1", TOKEN_A).statusCode()).isEqualTo(401);
        assertThat(post(r + "/v1/links/a/u2/svc", "{\"pod\":\"pod-0\"}", TOKEN_A).statusCode()).isEqualTo(201);
        assertThat(post(r + "/v1/links/b/u2/svc", "{\"pod\":\"pod-1\"}", ADMIN).statusCode()).isEqualTo(201);
        // Bounds: a name past 253 characters is a 400 naming the limit; a 3 MB pod name never gets parsed (413).
        HttpResponse<String> longPod = post(r + "/v1/links/a/u3/svc", "{\"pod\":\"" + "p".repeat(300) + "\"}",
                TOKEN_A);
        assertThat(longPod.statusCode()).isEqualTo(400);
        assertThat(longPod.body()).contains("253");
        assertThat(post(r + "/v1/links/a/u3/svc", "{\"pod\":\"" + "p".repeat(3 << 20) + "\"}", TOKEN_A)
                .statusCode()).isEqualTo(413);
        assertThat(post(r + "/v1/links/a/" + "u".repeat(600) + "/svc", "{\"pod\":\"pod-0\"}", TOKEN_A).statusCode())
                .isEqualTo(400);
        // Drain needs the admin token, not a namespace's.
        assertThat(post(r + "/v1/services/a/svc/pods/pod-0/drain", "{}", TOKEN_A).statusCode()).isEqualTo(401);
    }

    private HttpResponse<String> post(String url, String body, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.ISO_8859_1));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String url) throws Exception {
        return get(url, null);
    }

    private HttpResponse<String> get(String url, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String raw(int port, String request) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(60_000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[4096];
            int n;
            try {
                while ((n = in.read(buf)) > 0) {
                    out.write(buf, 0, n);
                }
            } catch (java.net.SocketException e) {
                // reset after the answer
            }
            return out.toString(StandardCharsets.UTF_8);
        }
    }

    private static byte[] status(String ns, String pod) {
        return AvroCodec.podStatus().encode(PodStatus.newBuilder().setNamespace(ns).setService("svc").setPod(pod)
                .setState(PodState.CONNECTED).setWorkers(List.of(new WorkerStatus(0, true, 0L, 0L, 1L, 0L, 0L, 0L)))
                .setAddress("10.0.0.1:8000").setRunningRequests(1).setWaitingRequests(0).setKvCacheUsage(0.1)
                .setReportedAtMicros(System.currentTimeMillis() * 1000).build());
    }

    private static byte[] stored(String ns, String pod, int[] tokens) {
        List<Long> hashes = new ArrayList<>();
        List<Integer> t = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            hashes.add(2000L + i);
        }
        for (int tok : tokens) {
            t.add(tok);
        }
        BlockStored s = new BlockStored();
        s.setBlockHashes(hashes);
        s.setTokenIds(t);
        s.setBlockSize(BS);
        s.setMedium("GPU");
        return AvroCodec.kvEvents().encode(KvEventBatch.newBuilder().setNamespace(ns).setService("svc").setPod(pod)
                .setDpRank(0).setSequence(0).setOrigin(EventOrigin.LIVE).setReceivedAtMicros(0)
                .setEvents(List.of(s)).build());
    }
}
