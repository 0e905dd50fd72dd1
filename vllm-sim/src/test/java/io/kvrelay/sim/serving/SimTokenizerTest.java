package io.kvrelay.sim.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class SimTokenizerTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void splitsIntoLetterRunsDigitRunsSingleOthersAndSingleSpaces() {
        int[] ids = SimTokenizer.encode("Hello, world 42!\n");
        assertThat(ids).containsExactly(SimTokenizer.pieceId("Hello"), SimTokenizer.pieceId(","),
                SimTokenizer.pieceId(" "), SimTokenizer.pieceId("world"), SimTokenizer.pieceId(" "),
                SimTokenizer.pieceId("42"), SimTokenizer.pieceId("!"), SimTokenizer.pieceId("\n"));
        assertThat(SimTokenizer.encode("a  b")).hasSize(4); // two single spaces
        assertThat(SimTokenizer.encode("")).isEmpty();
    }

    @Test
    void matchesSpecialsFirstWithFixedSmallIds() {
        assertThat(SimTokenizer.encode("<|im_start|>user<|im_end|>")).containsExactly(SimTokenizer.IM_START,
                SimTokenizer.pieceId("user"), SimTokenizer.IM_END);
        assertThat(SimTokenizer.decode(SimTokenizer.IM_START)).isEqualTo("<|im_start|>");
        assertThat(SimTokenizer.decode(SimTokenizer.IM_END)).isEqualTo("<|im_end|>");
        // A broken special is ordinary punctuation and letters.
        assertThat(SimTokenizer.encode("<|im_star|>")).doesNotContain(SimTokenizer.IM_START).hasSize(7);
    }

    @Test
    void isDeterministicWithIdsInsideTheVocabulary() {
        String text = "Ünïcode wörds, 123 and emoji 🙂 too";
        int[] ids = SimTokenizer.encode(text);
        assertThat(SimTokenizer.encode(text)).isEqualTo(ids);
        assertThat(Arrays.stream(ids).boxed()).allSatisfy(id -> assertThat(id).isBetween(SimTokenizer.FIRST_PIECE_ID,
                SimTokenizer.VOCAB_SIZE - 1));
        // FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c; 1000 + that (unsigned) mod 31000.
        assertThat(SimTokenizer.pieceId("a")).isEqualTo(1000 + (int) Long.remainderUnsigned(0xaf63dc4c8601ec8cL,
                31000));
    }

    @Test
    void secondTurnTokensStartWithTheFirstTurnsPromptTokens() throws Exception {
        JsonNode turn1 = JSON.readTree("[{\"role\":\"system\",\"content\":\"Be brief.\"},"
                + "{\"role\":\"user\",\"content\":\"What is a KV cache?\"}]");
        JsonNode turn2 = JSON.readTree("[{\"role\":\"system\",\"content\":\"Be brief.\"},"
                + "{\"role\":\"user\",\"content\":\"What is a KV cache?\"},"
                + "{\"role\":\"assistant\",\"content\":\" the cache of keys\"},"
                + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"And\"},"
                + "{\"type\":\"text\",\"text\":\" why?\"}]}]");
        int[] first = SimTokenizer.encode(ChatTemplate.render(turn1, true));
        int[] second = SimTokenizer.encode(ChatTemplate.render(turn2, true));
        assertThat(second.length).isGreaterThan(first.length);
        assertThat(Arrays.copyOf(second, first.length)).isEqualTo(first);
    }

    @Test
    void decodesGeneratedWordsAndNothingElse() {
        CompletionWords words = new CompletionWords(new int[] {5, 6, 7});
        int id = words.next();
        assertThat(SimTokenizer.decode(id)).startsWith(" ").matches(" [a-z]+");
        assertThat(new CompletionWords(new int[] {5, 6, 7}).next()).isEqualTo(id);
        assertThatThrownBy(() -> SimTokenizer.decode(999)).isInstanceOf(IllegalArgumentException.class);
    }
}
