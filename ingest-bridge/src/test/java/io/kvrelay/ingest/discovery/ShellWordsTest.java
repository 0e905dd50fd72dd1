package io.kvrelay.ingest.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ShellWordsTest {

    @Test
    void shouldSplitLikeAShell() {
        assertThat(ShellWords.split("  vllm serve  'a b' \"c \\\"d\\\"\" e\\ f '{\"x\": 1}' \\\n --port=1"))
                .containsExactly("vllm", "serve", "a b", "c \"d\"", "e f", "{\"x\": 1}", "--port=1");
        assertThat(ShellWords.split("")).isEmpty();
        assertThat(ShellWords.split("''")).containsExactly("");
    }
}
