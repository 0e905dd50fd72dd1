package io.kvrelay.sim.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class ChatTemplateTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void rendersChatMlWithTheGenerationPrompt() throws Exception {
        var messages = JSON.readTree("[{\"role\":\"system\",\"content\":\"S\"},{\"role\":\"user\",\"content\":\"Hi\"}]");
        assertThat(ChatTemplate.render(messages, true)).isEqualTo(
                "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
        assertThat(ChatTemplate.render(messages, false)).isEqualTo(
                "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n");
    }

    @Test
    void joinsTextPartsAndAcceptsNullContent() throws Exception {
        var messages = JSON.readTree("[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"a\"},"
                + "{\"type\":\"text\",\"text\":\"b\"}]},{\"role\":\"assistant\",\"content\":null}]");
        assertThat(ChatTemplate.render(messages, false))
                .isEqualTo("<|im_start|>user\nab<|im_end|>\n<|im_start|>assistant\n<|im_end|>\n");
    }

    @Test
    void refusesWhatIsNotAListOfMessages() throws Exception {
        assertThatThrownBy(() -> ChatTemplate.render(JSON.readTree("[]"), true))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ChatTemplate.render(JSON.readTree("{\"role\":\"user\"}"), true))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ChatTemplate.render(JSON.readTree("[{\"content\":\"x\"}]"), true))
                .hasMessageContaining("role");
        assertThatThrownBy(() -> ChatTemplate.render(
                JSON.readTree("[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\"}]}]"), true))
                .hasMessageContaining("parts");
        assertThatThrownBy(() -> ChatTemplate.render(null, true)).isInstanceOf(IllegalArgumentException.class);
    }
}
