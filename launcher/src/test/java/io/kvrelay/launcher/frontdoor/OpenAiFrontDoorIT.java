package io.kvrelay.launcher.frontdoor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.HttpResponseFor;
import com.openai.core.http.StreamResponse;
import com.openai.errors.NotFoundException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import io.kvrelay.launcher.pipeline.PipelineFixture;
import io.kvrelay.router.openai.OpenAiConfig;
import io.kvrelay.sim.SimPodConfig;
import io.kvrelay.sim.metrics.WorkerMetrics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The front door as users meet it: the official OpenAI Java SDK talking to kvrelay's router, which routes each
 * request over the whole pipeline (simulated pods publishing their KV events, the bridge, stream-app, Redis) and
 * proxies it to the chosen pod's OpenAI API. A conversation keeps its pod and reuses its cache; a second service is
 * reached by its model name; a pod killed under a user's link costs a retry, not an error; a client that leaves
 * mid-stream frees the pod's slot and the router's count of it.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OpenAiFrontDoorIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SYSTEM = "You are a careful assistant for a platform team. Answer briefly, name the "
            + "command to run, and say what it prints. Never invent flags; when unsure, say so and point at the "
            + "documentation of the tool in question. Prefer the smallest change that fixes the problem.";

    @TempDir
    static Path dir;
    static PipelineFixture pipeline;
    static OpenAIClient client;

    @BeforeAll
    static void start() throws Exception {
        List<SimPodConfig> pods = List.of(pod("chat-0", "chat", "sim-model"), pod("chat-1", "chat", "sim-model"),
                pod("chat-2", "chat", "sim-model"), pod("other-0", "other", "other-model"));
        pipeline = PipelineFixture.start(dir, pods, rc -> rc.withOpenAi(new OpenAiConfig("ns",
                Map.of("sim-model", "chat", "other-model", "other"), null, 0, 0, 0, 0, 0, 0)));
        pipeline.awaitRoutable("ns", "chat", 3);
        pipeline.awaitRoutable("ns", "other", 1);
        client = OpenAIOkHttpClient.builder().baseUrl(pipeline.routerUrl() + "/v1").apiKey("not-checked")
                .maxRetries(0).timeout(Duration.ofSeconds(120)).build();
    }

    private static SimPodConfig pod(String name, String service, String model) {
        return SimPodConfig.builder(name).namespace("ns").service(service).model(model).seed(11).build();
    }

    @AfterAll
    static void stop() {
        if (client != null) {
            client.close();
        }
        if (pipeline != null) {
            pipeline.close();
        }
    }

    @Test
    @Order(1)
    void aConversationKeepsItsPodAndReusesItsCache() {
        ChatCompletionCreateParams.Builder turn = ChatCompletionCreateParams.builder().model("sim-model")
                .putAdditionalHeader("x-user-id", "alice").maxCompletionTokens(8)
                .addSystemMessage(SYSTEM).addUserMessage("How do I list the topics of a Kafka cluster?");
        HttpResponseFor<ChatCompletion> first = client.chat().completions().withRawResponse().create(turn.build());
        String pod = header(first, "x-kvrelay-pod");
        ChatCompletion answer = first.parse();
        assertThat(answer.choices().get(0).message().content()).hasValueSatisfying(c -> assertThat(c).isNotBlank());
        assertThat(answer.usage().orElseThrow().promptTokens()).isPositive();

        turn.addMessage(answer.choices().get(0).message()).addUserMessage("And how do I describe one of them?");
        HttpResponseFor<ChatCompletion> second = client.chat().completions().withRawResponse().create(turn.build());
        assertThat(header(second, "x-kvrelay-pod")).as("the conversation's pod").isEqualTo(pod);
        long cached = second.parse().usage().orElseThrow().promptTokensDetails().orElseThrow().cachedTokens()
                .orElse(0L);
        assertThat(cached).as("prompt tokens the pod served from its cache on the second turn").isPositive();
    }

    @Test
    @Order(2)
    void streamsAChatAndACompletionAsThePodProducesThem() {
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("sim-model")
                .putAdditionalHeader("x-user-id", "carol").maxCompletionTokens(12).addSystemMessage(SYSTEM)
                .addUserMessage("Which port does the router listen on?")
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
        StringBuilder text = new StringBuilder();
        long completionTokens = 0;
        HttpResponseFor<StreamResponse<ChatCompletionChunk>> raw = client.chat().completions().withRawResponse()
                .createStreaming(params);
        assertThat(header(raw, "x-kvrelay-pod")).startsWith("chat-");
        try (StreamResponse<ChatCompletionChunk> stream = raw.parse()) {
            Iterator<ChatCompletionChunk> it = stream.stream().iterator();
            while (it.hasNext()) {
                ChatCompletionChunk c = it.next();
                c.choices().forEach(ch -> ch.delta().content().ifPresent(text::append));
                if (c.usage().isPresent()) {
                    completionTokens = c.usage().get().completionTokens();
                }
            }
        }
        assertThat(text.toString()).isNotBlank();
        assertThat(completionTokens).isEqualTo(12);

        Completion byText = client.completions().create(CompletionCreateParams.builder().model("sim-model")
                .prompt("The router listens on").maxTokens(4).build());
        assertThat(byText.choices().get(0).text()).isNotBlank();
        Completion byTokens = client.completions().create(CompletionCreateParams.builder().model("sim-model")
                .promptOfArrayOfTokens(List.of(1001L, 1002L, 1003L, 1004L)).maxTokens(4).build());
        assertThat(byTokens.usage().orElseThrow().promptTokens()).isEqualTo(4);
    }

    @Test
    @Order(3)
    void aSecondServiceIsReachedByItsModelAndUnknownModelsAre404() throws Exception {
        HttpResponseFor<ChatCompletion> other = client.chat().completions().withRawResponse().create(
                ChatCompletionCreateParams.builder().model("other-model").addUserMessage("Hello").maxCompletionTokens(2)
                        .build());
        assertThat(header(other, "x-kvrelay-pod")).isEqualTo("other-0");
        assertThat(client.models().list().data().stream().map(m -> m.id()).collect(Collectors.toSet()))
                .containsExactlyInAnyOrder("sim-model", "other-model");

        NotFoundException missing = catchThrowableOfType(NotFoundException.class, () -> client.chat().completions()
                .create(ChatCompletionCreateParams.builder().model("gpt-9").addUserMessage("Hi").build()));
        assertThat(missing.statusCode()).isEqualTo(404);
        HttpResponse<String> bad = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                pipeline.routerUrl() + "/v1/chat/completions")).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(bad.statusCode()).isEqualTo(400);
        JsonNode error = JSON.readTree(bad.body()).path("error");
        assertThat(error.path("message").asText()).startsWith("invalid JSON");
        assertThat(error.path("type").asText()).isEqualTo("invalid_request_error");
    }

    @Test
    @Order(4)
    void aClientThatLeavesMidStreamFreesThePodsSlot() {
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("sim-model")
                .putAdditionalHeader("x-user-id", "dave").maxCompletionTokens(60_000)
                .addUserMessage("Tell me everything about Kafka.").build();
        HttpResponseFor<StreamResponse<ChatCompletionChunk>> raw = client.chat().completions().withRawResponse()
                .createStreaming(params);
        String pod = header(raw, "x-kvrelay-pod");
        try (StreamResponse<ChatCompletionChunk> stream = raw.parse()) {
            assertThat(stream.stream().iterator().next()).isNotNull(); // the answer has begun
            assertThat(running(pod)).as("the request runs on " + pod).isEqualTo(1);
        }
        // 60,000 tokens at 5 ms each would take 5 minutes: only the client's leaving can end the request this soon.
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .untilAsserted(() -> {
                    assertThat(running(pod)).as("requests running on " + pod).isZero();
                    assertThat(pipeline.openRequests("ns", "chat").getOrDefault(pod, 0))
                            .as("front-door requests the router counts on " + pod).isZero();
                });
    }

    @Test
    @Order(5)
    void aPodKilledUnderAUsersLinkCostsARetryNotAnError() {
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("sim-model")
                .putAdditionalHeader("x-user-id", "erin").maxCompletionTokens(2).addSystemMessage(SYSTEM)
                .addUserMessage("Is the pipeline healthy?").build();
        String linked = header(client.chat().completions().withRawResponse().create(params), "x-kvrelay-pod");
        pipeline.pod(linked).close(); // its port now refuses connections; the router has not noticed yet
        HttpResponseFor<ChatCompletion> after = client.chat().completions().withRawResponse().create(params);
        assertThat(after.statusCode()).isEqualTo(200);
        assertThat(header(after, "x-kvrelay-pod")).as("another pod").isNotEqualTo(linked);
        assertThat(header(after, "x-kvrelay-attempts")).as("the linked pod was tried first").isEqualTo("2");
        assertThat(after.parse().choices()).hasSize(1);
    }

    private static int running(String pod) {
        return pipeline.pod(pod).workerMetrics().stream().mapToInt(WorkerMetrics::running).sum();
    }

    private static String header(com.openai.core.http.HttpResponse r, String name) {
        List<String> v = r.headers().values(name);
        assertThat(v).as("response header " + name).hasSize(1);
        return v.get(0);
    }
}
