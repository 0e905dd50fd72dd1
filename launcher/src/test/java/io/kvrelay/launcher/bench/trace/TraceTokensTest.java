package io.kvrelay.launcher.bench.trace;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvrelay.launcher.bench.BenchRequest;
import io.kvrelay.launcher.bench.ModelPod;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class TraceTokensTest {
    private static int[] tokens(int input, int index, int... ids) {
        return TraceTokens.tokens(new TraceRecord(0, input, 1, ids, null), index);
    }

    @Test
    void shouldGiveEqualTokensForEqualIdsAndOthersOtherwise() {
        int[] a = tokens(1536, 0, 1, 2, 3);
        int[] b = tokens(1536, 1, 1, 2, 4);
        assertThat(a).hasSize(1536);
        assertThat(Arrays.copyOf(a, 1024)).as("ids 1, 2 shared").isEqualTo(Arrays.copyOf(b, 1024));
        int same = 0;
        for (int i = 1024; i < 1536; i++) {
            same += a[i] == b[i] ? 1 : 0;
        }
        assertThat(same).as("ids 3 and 4: unrelated tokens, equal only by chance (1 in 32,000)").isLessThan(3);
        assertThat(Arrays.copyOfRange(a, 0, 512)).as("the same id at another block position: same tokens")
                .isEqualTo(Arrays.copyOfRange(tokens(1024, 2, 7, 1), 512, 1024));
        assertThat(Arrays.stream(a).min().orElseThrow()).isNotNegative();
        assertThat(Arrays.stream(a).max().orElseThrow()).isLessThan(TraceTokens.VOCAB);
    }

    @Test
    void shouldCutToTheInputLengthAndPadWithTokensOfTheRequestsOwn() {
        int[] full = tokens(1024, 0, 1, 2);
        assertThat(tokens(700, 5, 1, 2)).isEqualTo(Arrays.copyOf(full, 700));
        int[] padded0 = tokens(600, 0, 1);
        int[] padded1 = tokens(600, 1, 1);
        assertThat(Arrays.copyOf(padded0, 512)).isEqualTo(Arrays.copyOf(full, 512));
        assertThat(Arrays.copyOfRange(padded0, 512, 600)).as("padding differs per request")
                .isNotEqualTo(Arrays.copyOfRange(padded1, 512, 600));
    }

    @Test
    void shouldGiveEqualKvrelayBlocksForEqualLeadingIds() {
        // 2 shared hash blocks = 64 kvrelay blocks of 16 tokens: what a pod that served one has cached of the other.
        BenchRequest first = new BenchRequest(0, "a", null, tokens(1536, 0, 1, 2, 3), null, 0, 0, 1);
        BenchRequest second = new BenchRequest(1, "a", null, tokens(1500, 1, 1, 2, 4), null, 0, 10, 1);
        assertThat(first.firstBlockKey()).isEqualTo(second.firstBlockKey());
        ModelPod pod = new ModelPod("a-0", 1024, 1000);
        pod.serve(first);
        assertThat(pod.cachedPrefixBlocks(second)).isEqualTo(64);
        assertThat(second.promptBlocks()).isEqualTo(1500 / 16);
    }
}
