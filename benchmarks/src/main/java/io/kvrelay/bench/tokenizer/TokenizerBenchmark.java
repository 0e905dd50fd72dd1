package io.kvrelay.bench.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.kvrelay.sim.SimPod;
import io.kvrelay.sim.SimPodConfig;
import io.kvrelay.tokenizer.HfTokenizer;
import io.kvrelay.tokenizer.TestTokenizers;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A prompt's token ids for the front door, the two ways side by side: in this process ({@link HfTokenizer}: Hugging
 * Face's tokenizers through DJL, and the chat template through Jinjava) and asked of a pod ({@code POST /tokenize} of
 * a simulated pod on loopback, tokenizing with the same files: the HTTP round trip the in-process path saves). The
 * tokenizer is the tests' own (byte-level BPE without merges: one token per byte of ASCII text), so a prompt of N
 * characters is N tokens; a real model's BPE merges cost more per character and give fewer tokens.
 * <ul>
 *   <li>{@code prompt*}: a text prompt of {@code tokens} tokens;</li>
 *   <li>{@code chat*}: a chat of a system prompt and a user message, {@code tokens} tokens in all, through the ChatML
 *       template.</li>
 * </ul>
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar TokenizerBenchmark -f 1 -wi 3 -w 2 -i 5 -r 2</pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Thread)
public class TokenizerBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Param({"1000", "10000"})
    public int tokens;

    private Path dir;
    private HfTokenizer tokenizer;
    private SimPod pod;
    private HttpClient http;
    private String prompt;
    private JsonNode messages;
    private HttpRequest promptRequest;
    private HttpRequest chatRequest;

    @Setup(Level.Trial)
    public void setup() throws Exception {
        dir = Files.createTempDirectory("kvrelay-tokenizer-bench");
        Path files = TestTokenizers.bytesChatMl(dir);
        tokenizer = HfTokenizer.load(files, null);
        pod = SimPod.start(SimPodConfig.builder("tok-0").model("m").servingPort(0).publishLogLimit(0)
                .tokenizerDir(files.toString()).build());
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        prompt = words(tokens, 1);
        ArrayNode m = JSON.createArrayNode();
        m.addObject().put("role", "system").put("content", words(tokens / 2, 2));
        m.addObject().put("role", "user").put("content", words(tokens / 2 - 40, 3));
        messages = m;
        URI tokenize = URI.create("http://127.0.0.1:" + pod.servingPort() + "/tokenize");
        promptRequest = HttpRequest.newBuilder(tokenize).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(JSON.createObjectNode()
                        .put("model", "m").put("prompt", prompt)))).build();
        chatRequest = HttpRequest.newBuilder(tokenize).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(JSON.createObjectNode()
                        .put("model", "m").set("messages", messages)))).build();
        int local = tokenizer.encodePrompt(prompt).length;
        int remote = JSON.readTree(viaPod(promptRequest)).path("count").asInt();
        if (local != remote || local != tokens) {
            throw new IllegalStateException("prompt of " + tokens + " tokens: " + local + " here, " + remote
                    + " by the pod");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        pod.close();
        tokenizer.close();
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.delete(f);
            }
        }
        Files.delete(dir);
    }

    @Benchmark
    public int[] promptInProcess() {
        return tokenizer.encodePrompt(prompt);
    }

    @Benchmark
    public byte[] promptViaPod() throws Exception {
        return viaPod(promptRequest);
    }

    @Benchmark
    public int[] chatInProcess() {
        return tokenizer.encodeChat(messages, true);
    }

    @Benchmark
    public byte[] chatViaPod() throws Exception {
        return viaPod(chatRequest);
    }

    private byte[] viaPod(HttpRequest r) throws Exception {
        HttpResponse<byte[]> res = http.send(r, HttpResponse.BodyHandlers.ofByteArray());
        if (res.statusCode() != 200) {
            throw new IllegalStateException("/tokenize answered " + res.statusCode());
        }
        return res.body();
    }

    /** Lower-case words and spaces: exactly {@code n} characters, so {@code n} tokens of the test tokenizer. */
    private static String words(int n, long seed) {
        Random rnd = new Random(seed);
        StringBuilder sb = new StringBuilder(n);
        while (sb.length() < n) {
            sb.append(sb.length() == 0 ? "" : " ");
            int len = 2 + rnd.nextInt(8);
            for (int i = 0; i < len && sb.length() < n; i++) {
                sb.append((char) ('a' + rnd.nextInt(26)));
            }
        }
        return sb.toString();
    }
}
