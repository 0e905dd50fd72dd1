package io.kvrelay.router.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class OpenAiConfigTest {
    @Test
    void shouldServeAModelByTheServiceOfItsNameWhenNoneIsListed() {
        OpenAiConfig c = OpenAiConfig.defaults();
        assertThat(c.resolve("llama")).isEqualTo(new OpenAiConfig.ModelTarget("llama", "default", "llama"));
        assertThat(c.userHeader()).isEqualTo("x-user-id");
        assertThat(c.maxAttempts()).isEqualTo(3);
    }

    @Test
    void shouldServeOnlyTheListedModelsWhenAnyIs() {
        OpenAiConfig c = new OpenAiConfig("prod", Map.of("llama-8b", "vllm-llama", "qwen", "other/vllm-qwen"), null,
                0, 0, 0, 0, 0, 0);
        assertThat(c.resolve("llama-8b")).isEqualTo(new OpenAiConfig.ModelTarget("llama-8b", "prod", "vllm-llama"));
        assertThat(c.resolve("qwen")).isEqualTo(new OpenAiConfig.ModelTarget("qwen", "other", "vllm-qwen"));
        assertThat(c.resolve("gpt-4")).isNull();
    }

    @Test
    void shouldRefuseTargetsThatAreNotAServiceOrANamespaceAndService() {
        for (String bad : new String[] {"", "a/b/c", "/svc", "ns/"}) {
            assertThatThrownBy(() -> OpenAiConfig.defaults().withModels(Map.of("m", bad)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("openai.models");
        }
        assertThatThrownBy(() -> new OpenAiConfig(null, null, null, -1, 0, 0, 0, 0, 0))
                .hasMessageContaining("openai.tokenizeTimeoutMs");
    }
}
