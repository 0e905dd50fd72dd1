package io.kvrelay.sim.serving;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kvrelay.sim.SimPod;
import io.kvrelay.sim.SimPodConfig;
import io.kvrelay.sim.wire.SimEvent;
import io.kvrelay.sim.zmq.PublishedBatch;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * vLLM's OpenAI API on a simulated pod, through the JDK's HTTP client (and a raw socket for a client that hangs up):
 * the shapes, the cache hits a multi-turn chat earns, the KV events serving publishes, and a vanished client freeing
 * its slot. Deadlines are generous and nothing asserts speed, so a busy machine only makes it slower.
 */
class OpenAiServingIT {
    private static final Duration DEADLINE = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(DEADLINE).build();
    private static SimPod pod;
    private static String base;

    @BeforeAll
    static void startPod() {
        pod = SimPod.start(SimPodConfig.builder("openai-it").servingPort(0).replayBasePort(null)
                .prefillMsPerBlock(1.0).decodeMsPerToken(2.0).build());
        base = "http://127.0.0.1:" + pod.servingPort();
    }

    @AfterAll
    static void closePod() {
        if (pod != null) {
            pod.close();
        }
    }

    private static HttpResponse<String> post(String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(DEADLINE)
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(DEADLINE).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode ok(HttpResponse<String> r) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    /** The JSON events of a server-sent-events body, with {@code [DONE]} checked and dropped. */
    private static List<JsonNode> events(HttpResponse<String> r) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(t -> assertThat(t)
                .startsWith("text/event-stream"));
        String[] blocks = r.body().split("\n\n");
        assertThat(blocks[blocks.length - 1]).isEqualTo("data: [DONE]");
        List<JsonNode> out = new ArrayList<>();
        for (int i = 0; i < blocks.length - 1; i++) {
            assertThat(blocks[i]).startsWith("data: ");
            out.add(JSON.readTree(blocks[i].substring(6)));
        }
        return out;
    }

    private static void await(String what, BooleanSupplier condition) {
        long until = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime() < until).as("waited " + DEADLINE + " for: " + what).isTrue();
            LockSupport.parkNanos(10_000_000);
        }
    }

    private static String words(int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(" word").append(i);
        }
        return sb.toString();
    }

    @Test
    void answersHealthAndModels() throws Exception {
        HttpResponse<String> health = get("/health");
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).isEmpty();
        JsonNode models = ok(get("/v1/models"));
        assertThat(models.get("object").asText()).isEqualTo("list");
        JsonNode card = models.get("data").get(0);
        assertThat(card.get("id").asText()).isEqualTo("sim-model");
        assertThat(card.get("object").asText()).isEqualTo("model");
        assertThat(card.get("owned_by").asText()).isEqualTo("vllm");
        assertThat(card.get("root").asText()).isEqualTo("sim-model");
        assertThat(card.get("parent").isNull()).isTrue();
        assertThat(card.get("max_model_len").asInt()).isEqualTo(pod.maxModelLen());
        assertThat(card.get("created").asLong()).isPositive();
    }

    @Test
    void completesAStringPromptAndATokenIdPrompt() throws Exception {
        String prompt = "Once upon a time" + words(40);
        JsonNode tok = ok(post("/tokenize", "{\"model\":\"sim-model\",\"prompt\":\"" + prompt
                + "\",\"add_special_tokens\":true}"));
        int count = tok.get("count").asInt();
        assertThat(tok.get("tokens")).hasSize(count);
        assertThat(tok.get("max_model_len").asInt()).isEqualTo(pod.maxModelLen());

        JsonNode c = ok(post("/v1/completions", "{\"model\":\"sim-model\",\"prompt\":\"" + prompt
                + "\",\"max_tokens\":5}"));
        assertThat(c.get("id").asText()).matches("cmpl-[0-9a-f]{32}");
        assertThat(c.get("object").asText()).isEqualTo("text_completion");
        assertThat(c.get("model").asText()).isEqualTo("sim-model");
        JsonNode choice = c.get("choices").get(0);
        assertThat(choice.get("index").asInt()).isZero();
        assertThat(choice.get("text").asText()).matches("( [a-z]+){5}");
        assertThat(choice.get("finish_reason").asText()).isEqualTo("length");
        assertThat(choice.get("logprobs").isNull()).isTrue();
        assertThat(choice.get("stop_reason").isNull()).isTrue();
        JsonNode usage = c.get("usage");
        assertThat(usage.get("prompt_tokens").asInt()).isEqualTo(count);
        assertThat(usage.get("completion_tokens").asInt()).isEqualTo(5);
        assertThat(usage.get("total_tokens").asInt()).isEqualTo(count + 5);
        assertThat(usage.get("prompt_tokens_details").get("cached_tokens").asInt()).isZero();

        // The same prompt as token ids: the same tokens, so the cache now holds its full blocks.
        JsonNode byIds = ok(post("/v1/completions", "{\"prompt\":" + tok.get("tokens") + ",\"max_tokens\":2}"));
        assertThat(byIds.get("usage").get("prompt_tokens").asInt()).isEqualTo(count);
        assertThat(byIds.get("usage").get("prompt_tokens_details").get("cached_tokens").asInt())
                .isEqualTo(count / 16 * 16);
        assertThat(byIds.get("choices").get(0).get("text").asText())
                .as("the answer depends on the prompt only").isEqualTo(choice.get("text").asText()
                        .substring(0, byIds.get("choices").get(0).get("text").asText().length()));
    }

    @Test
    void streamsACompletionTokenByTokenWithTheUsageLast() throws Exception {
        List<JsonNode> chunks = events(post("/v1/completions", "{\"model\":\"sim-model\",\"prompt\":[1001,1002,1003],"
                + "\"max_tokens\":4,\"stream\":true,\"stream_options\":{\"include_usage\":true}}"));
        assertThat(chunks).hasSize(5);
        String id = chunks.get(0).get("id").asText();
        for (int i = 0; i < 4; i++) {
            JsonNode chunk = chunks.get(i);
            assertThat(chunk.get("id").asText()).isEqualTo(id).startsWith("cmpl-");
            assertThat(chunk.get("object").asText()).isEqualTo("text_completion");
            assertThat(chunk.has("usage") && chunk.get("usage").isNull()).isTrue();
            JsonNode choice = chunk.get("choices").get(0);
            assertThat(choice.get("text").asText()).matches(" [a-z]+");
            assertThat(choice.get("finish_reason").isNull()).isEqualTo(i < 3);
        }
        assertThat(chunks.get(3).get("choices").get(0).get("finish_reason").asText()).isEqualTo("length");
        JsonNode last = chunks.get(4);
        assertThat(last.get("choices")).isEmpty();
        assertThat(last.get("usage").get("prompt_tokens").asInt()).isEqualTo(3);
        assertThat(last.get("usage").get("completion_tokens").asInt()).isEqualTo(4);

        List<JsonNode> plain = events(post("/v1/completions", "{\"prompt\":\"hi\",\"max_tokens\":2,\"stream\":true}"));
        assertThat(plain).hasSize(2).allSatisfy(c -> assertThat(c.has("usage")).isFalse());
    }

    @Test
    void aSecondChatTurnHitsTheCacheTheFirstFilledAndItsEventsArePublished() throws Exception {
        ArrayNode messages = JSON.createArrayNode();
        messages.addObject().put("role", "system").put("content", "You are a terse assistant." + words(30));
        messages.addObject().put("role", "user").put("content", "Tell me about prefix caching.");
        List<PublishedBatch> before = pod.publishLog(0).snapshot();

        ObjectNode turn1 = JSON.createObjectNode().put("model", "sim-model").put("max_tokens", 6);
        turn1.set("messages", messages);
        JsonNode a1 = ok(post("/v1/chat/completions", turn1.toString()));
        assertThat(a1.get("id").asText()).matches("chatcmpl-[0-9a-f]{32}");
        assertThat(a1.get("object").asText()).isEqualTo("chat.completion");
        JsonNode message = a1.get("choices").get(0).get("message");
        assertThat(message.get("role").asText()).isEqualTo("assistant");
        assertThat(message.get("tool_calls")).isEmpty();
        String answer = message.get("content").asText();
        assertThat(answer).matches("( [a-z]+){6}");
        int p1 = a1.get("usage").get("prompt_tokens").asInt();

        List<PublishedBatch> after = pod.publishLog(0).snapshot();
        long stored = after.subList(before.size(), after.size()).stream().flatMap(b -> b.events().stream())
                .filter(e -> e instanceof SimEvent.Stored).mapToLong(e -> ((SimEvent.Stored) e).hashes().length)
                .sum();
        assertThat(stored).as("BlockStored hashes published by turn 1").isEqualTo(p1 / 16);

        ArrayNode messages2 = messages.deepCopy();
        messages2.addObject().put("role", "assistant").put("content", answer);
        messages2.addObject().put("role", "user").putArray("content").addObject().put("type", "text")
                .put("text", "And why does it help?");
        ObjectNode turn2 = JSON.createObjectNode().put("model", "sim-model").put("max_completion_tokens", 3)
                .put("stream", true);
        turn2.putObject("stream_options").put("include_usage", true);
        turn2.set("messages", messages2);
        List<JsonNode> chunks = events(post("/v1/chat/completions", turn2.toString()));
        assertThat(chunks).hasSize(5); // role, 3 tokens, usage
        assertThat(chunks.get(0).get("object").asText()).isEqualTo("chat.completion.chunk");
        assertThat(chunks.get(0).get("choices").get(0).get("delta").get("role").asText()).isEqualTo("assistant");
        assertThat(chunks.get(0).get("choices").get(0).get("delta").get("content").asText()).isEmpty();
        assertThat(chunks.get(3).get("choices").get(0).get("delta").get("content").asText()).matches(" [a-z]+");
        assertThat(chunks.get(3).get("choices").get(0).get("finish_reason").asText()).isEqualTo("length");
        JsonNode usage2 = chunks.get(4).get("usage");
        assertThat(usage2.get("prompt_tokens_details").get("cached_tokens").asInt())
                .as("turn 2 reuses turn 1's prompt blocks").isPositive().isEqualTo(p1 / 16 * 16);

        ObjectNode tok1 = JSON.createObjectNode().put("model", "sim-model");
        tok1.set("messages", messages);
        ObjectNode tok2 = JSON.createObjectNode().put("model", "sim-model");
        tok2.set("messages", messages2);
        int[] t1 = JSON.treeToValue(ok(post("/tokenize", tok1.toString())).get("tokens"), int[].class);
        int[] t2 = JSON.treeToValue(ok(post("/tokenize", tok2.toString())).get("tokens"), int[].class);
        assertThat(t1).hasSize(p1);
        assertThat(t2).hasSize(usage2.get("prompt_tokens").asInt());
        assertThat(Arrays.copyOf(t2, t1.length)).isEqualTo(t1);
        tok1.put("add_generation_prompt", false);
        assertThat(ok(post("/tokenize", tok1.toString())).get("count").asInt()).isEqualTo(p1 - 3);
    }

    @Test
    void aClientThatHangsUpMidStreamFreesItsSlotAndGauges() throws Exception {
        String body = "{\"model\":\"sim-model\",\"prompt\":\"a long answer please\",\"max_tokens\":20000,"
                + "\"stream\":true}";
        try (Socket s = new Socket("127.0.0.1", pod.servingPort())) {
            s.setSoTimeout((int) DEADLINE.toMillis());
            OutputStream out = s.getOutputStream();
            out.write(("POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body)
                    .getBytes(StandardCharsets.UTF_8));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            int events = 0;
            while (events < 3) {
                String line = in.readLine();
                assertThat(line).as("the stream goes on").isNotNull();
                if (line.startsWith("data: {")) {
                    events++;
                }
            }
            await("the request runs", () -> pod.workerMetrics().get(0).running() == 1);
        }
        await("running and waiting back to 0 after the client left", () -> pod.workerMetrics().get(0).running() == 0
                && pod.workerMetrics().get(0).waiting() == 0 && pod.workerMetrics().get(0).heldBlocks() == 0);
        String metrics = get("/metrics").body();
        assertThat(metrics).contains("vllm:num_requests_running{engine=\"0\",model_name=\"sim-model\"} 0.0");
    }

    @Test
    void answersErrorsInVllmsShape() throws Exception {
        HttpResponse<String> unknown = post("/v1/chat/completions",
                "{\"model\":\"gpt-x\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(unknown.statusCode()).isEqualTo(404);
        JsonNode e404 = JSON.readTree(unknown.body()).get("error");
        assertThat(e404.get("message").asText()).isEqualTo("The model `gpt-x` does not exist.");
        assertThat(e404.get("type").asText()).isEqualTo("NotFoundError");
        assertThat(e404.get("code").asInt()).isEqualTo(404);
        assertThat(e404.get("param").isNull()).isTrue();

        for (String bad : List.of("{\"prompt\": ", "{\"prompt\":[\"a\",\"b\"]}", "{\"prompt\":\"x\",\"max_tokens\":0}",
                "[1,2]", "{\"prompt\":[1,40000]}")) {
            HttpResponse<String> r = post("/v1/completions", bad);
            assertThat(r.statusCode()).as(bad).isEqualTo(400);
            JsonNode e = JSON.readTree(r.body()).get("error");
            assertThat(e.get("type").asText()).isEqualTo("BadRequestError");
            assertThat(e.get("code").asInt()).isEqualTo(400);
        }
        HttpResponse<String> tooLong = post("/v1/completions",
                "{\"prompt\":\"x\",\"max_tokens\":" + pod.maxModelLen() + "}");
        assertThat(JSON.readTree(tooLong.body()).get("error").get("message").asText())
                .contains("maximum context length is " + pod.maxModelLen());
        assertThat(post("/tokenize", "{\"messages\":\"no\"}").statusCode()).isEqualTo(400);
    }

    /**
     * The README's hand-made chat request, run here. testkit (and so {@code RequiredTools}) is not a test dependency
     * of vllm-sim, so the request is sent with the JDK client: the URL path and the {@code -d} body taken from the
     * README's curl line, against this pod's port.
     */
    @Test
    void theReadmesCurlLineAnswersAsTheReadmeSays() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        Matcher m = Pattern.compile("curl -s localhost:8000(/v1/chat/completions) -H 'content-type: "
                + "application/json' -d '([^']*)'").matcher(readme);
        assertThat(m.find()).as("the README has the curl line").isTrue();
        JsonNode answer = ok(post(m.group(1), m.group(2)));
        assertThat(answer.get("object").asText()).isEqualTo("chat.completion");
        assertThat(answer.get("choices").get(0).get("message").get("content").asText()).matches("( [a-z]+){16}");
        // The printed answer in the README is this pod's: the words depend on the prompt only.
        assertThat(readme).contains("\"content\":\"" + answer.get("choices").get(0).get("message").get("content")
                .asText() + "\"");
        assertThat(readme).contains("\"usage\":{\"prompt_tokens\":" + answer.get("usage").get("prompt_tokens")
                .asInt() + ",");
    }
}
