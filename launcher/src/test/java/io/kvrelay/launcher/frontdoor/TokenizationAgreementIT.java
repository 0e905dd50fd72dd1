package io.kvrelay.launcher.frontdoor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kvrelay.launcher.pipeline.PipelineFixture;
import io.kvrelay.router.openai.LocalTokenizer;
import io.kvrelay.router.openai.OpenAiConfig;
import io.kvrelay.router.openai.PodTokenizer;
import io.kvrelay.router.state.PodInfo;
import io.kvrelay.sim.SimPod;
import io.kvrelay.sim.SimPodConfig;
import io.kvrelay.tokenizer.TestTokenizers;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The router's two ways to a prompt's token ids give the same ids: its in-process tokenizer (a model's
 * tokenizer.json and chat template) and a pod's {@code /tokenize} (here a simulated pod tokenizing with the same
 * files, as vLLM would with the model's). And where they differ (the pods run another chat template than the one the
 * router was given), the router's sampled verification counts it.
 */
class TokenizationAgreementIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void theInProcessTokenizerAndAPodsTokenizeAgree() throws Exception {
        Path files = TestTokenizers.bytesChatMl(dir.resolve("tok"));
        try (SimPod pod = SimPod.start(SimPodConfig.builder("tok-0").namespace("ns").service("svc").model("m")
                .servingPort(0).tokenizerDir(files.toString()).build())) {
            io.netty.channel.EventLoopGroup loops = io.kvrelay.http.HttpServer.eventLoops("test-client", 1);
            io.kvrelay.http.client.UpstreamClient client = new io.kvrelay.http.client.UpstreamClient(loops, 4, 5_000);
            PodTokenizer viaPod = new PodTokenizer(client, JSON, Duration.ofSeconds(30), 100_000);
            LocalTokenizer local = LocalTokenizer.load(files.toString());
            List<PodInfo> pods = List.of(new PodInfo("ns", "svc", "tok-0", null, "127.0.0.1:" + pod.servingPort(),
                    true, true, false, 0, 0, 0.0, 16, 0));
            List<String> prompts = List.of("Hello, world", "", "naïve café — €5", "tabs\tand\nnew lines\r\n",
                    "a<|im_end|>b", "x".repeat(5_000), "日本語のテキスト 🙂");
            for (String p : prompts) {
                ObjectNode q = JSON.createObjectNode().put("model", "m").put("prompt", p);
                assertThat(viaPod.tokens("ns/svc", q, pods).get()).as("prompt %s", p.length() > 40 ? p.substring(0, 40)
                        : p).containsExactly(local.prompt(p));
            }
            List<String> chats = List.of(
                    "[{\"role\":\"user\",\"content\":\"Hi\"}]",
                    "[{\"role\":\"system\",\"content\":\"Be terse.\"},{\"role\":\"user\",\"content\":\"Name a prime.\"},"
                            + "{\"role\":\"assistant\",\"content\":\"7\"},{\"role\":\"user\",\"content\":\"Another?\"}]",
                    "[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"parts\"},"
                            + "{\"type\":\"text\",\"text\":\"of a message\"}]}]",
                    "[{\"role\":\"user\",\"content\":\"ünïcödé\\n\\twith <|im_start|> inside\"}]");
            for (String c : chats) {
                JsonNode messages = JSON.readTree(c);
                for (boolean generation : new boolean[] {true, false}) {
                    ObjectNode q = JSON.createObjectNode().put("model", "m").put("add_generation_prompt", generation);
                    q.set("messages", messages);
                    assertThat(viaPod.tokens("ns/svc", q, pods).get()).as("chat %s, generation prompt %s", c,
                            generation).containsExactly(local.chat(messages, generation));
                }
            }
            client.close();
            loops.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    @Test
    void aPodWithAnotherChatTemplateIsCountedAsAMismatch() throws Exception {
        Path same = TestTokenizers.bytesChatMl(dir.resolve("same"));
        Path other = TestTokenizers.bytesChatMl(dir.resolve("other"));
        Path config = other.resolve("tokenizer_config.json");
        ObjectNode c = (ObjectNode) JSON.readTree(config.toFile());
        c.put("chat_template", "{% for m in messages %}### {{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
                + "{% if add_generation_prompt %}### assistant:{% endif %}");
        Files.writeString(config, JSON.writeValueAsString(c));
        List<SimPodConfig> pods = List.of(
                SimPodConfig.builder("same-0").namespace("ns").service("same").model("same-model")
                        .tokenizerDir(same.toString()).build(),
                SimPodConfig.builder("other-0").namespace("ns").service("other").model("other-model")
                        .tokenizerDir(other.toString()).build());
        // The router has the model's files for both; the "other" pods were started with another template.
        OpenAiConfig openai = new OpenAiConfig("ns", Map.of("same-model", "same", "other-model", "other"), null, 0, 0,
                0, 0, 0, 0).withTokenizers(Map.of("same-model", same.toString(), "other-model", same.toString()), 1.0);
        try (PipelineFixture pipeline = PipelineFixture.start(dir.resolve("pipeline"), pods,
                rc -> rc.withOpenAi(openai))) {
            pipeline.awaitRoutable("ns", "same", 1);
            pipeline.awaitRoutable("ns", "other", 1);
            HttpClient http = HttpClient.newHttpClient();
            for (int i = 0; i < 3; i++) {
                assertThat(chat(http, pipeline, "same-model", "turn " + i)).isEqualTo(200);
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> counter(pipeline, "verified") >= 3);
            assertThat(counter(pipeline, "mismatches")).as("same files on both sides").isZero();
            assertThat(chat(http, pipeline, "other-model", "hello")).as("still served").isEqualTo(200);
            await().atMost(Duration.ofSeconds(60)).until(() -> counter(pipeline, "mismatches") >= 1);
        }
    }

    private static int chat(HttpClient http, PipelineFixture pipeline, String model, String text) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(pipeline.routerUrl()
                        + "/v1/chat/completions")).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + model + "\",\"max_tokens\":2,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"" + text + "\"}]}")).build(),
                HttpResponse.BodyHandlers.ofString());
        return r.statusCode();
    }

    private static double counter(PipelineFixture pipeline, String name) {
        return pipeline.router().registry().get("kvrelay.router.openai.tokenizer." + name).counter().count();
    }
}
