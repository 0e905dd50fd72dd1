package io.kvrelay.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HfTokenizerTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void shouldEncodeAPromptAsTheTokenizerSays() {
        try (HfTokenizer t = HfTokenizer.load(TestTokenizers.bytesChatMl(dir), null)) {
            assertThat(t.encodePrompt("Hello, world")).containsExactly(TestTokenizers.bytes("Hello, world"));
            assertThat(t.encodePrompt("naïve €")).as("UTF-8 bytes").containsExactly(TestTokenizers.bytes("naïve €"));
            assertThat(t.encodePrompt("a<|im_end|>b")).as("a special token in text")
                    .containsExactly('a', TestTokenizers.IM_END, 'b');
        }
    }

    @Test
    void shouldApplyTheChatTemplateAsVllmDoes() throws Exception {
        JsonNode messages = JSON.readTree("""
                [{"role":"system","content":"Be terse."},
                 {"role":"user","content":[{"type":"text","text":"Hi"}]}]""");
        try (HfTokenizer t = HfTokenizer.load(TestTokenizers.bytesChatMl(dir), null)) {
            assertThat(t.renderChat(messages, true))
                    .isEqualTo("<|im_start|>system\nBe terse.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
                            + "<|im_start|>assistant\n");
            int[] expected = IntStream.concat(IntStream.concat(IntStream.of(TestTokenizers.IM_START),
                    IntStream.of(TestTokenizers.bytes("system\nBe terse."))), IntStream.of(TestTokenizers.IM_END))
                    .toArray();
            assertThat(t.encodeChat(messages, false)).startsWith(expected);
            // A conversation's next turn starts with its previous prompt: what prefix caching needs.
            JsonNode next = JSON.readTree("""
                    [{"role":"system","content":"Be terse."},{"role":"user","content":"Hi"},
                     {"role":"assistant","content":"Hello."},{"role":"user","content":"Bye"}]""");
            assertThat(t.encodeChat(next, true)).startsWith(t.encodeChat(messages, true));
        }
    }

    @Test
    void shouldTakeAnotherTemplateAndRefuseWhatTheTemplateRefuses() throws Exception {
        String strict = "{% for m in messages %}{% if m['role'] == 'system' %}{{ raise_exception('no system "
                + "messages') }}{% endif %}[{{ m['role'] }}] {{ m['content'] }}\n{% endfor %}";
        try (HfTokenizer t = HfTokenizer.load(TestTokenizers.bytesChatMl(dir), strict)) {
            assertThat(t.renderChat(JSON.readTree("[{\"role\":\"user\",\"content\":\"Hi\"}]"), true))
                    .isEqualTo("[user] Hi\n");
            assertThatThrownBy(() -> t.renderChat(JSON.readTree("[{\"role\":\"system\",\"content\":\"x\"}]"), true))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no system messages");
        }
        assertThatThrownBy(() -> HfTokenizer.load(dir.resolve("nowhere"), null))
                .hasMessageContaining("no tokenizer.json");
    }
}
