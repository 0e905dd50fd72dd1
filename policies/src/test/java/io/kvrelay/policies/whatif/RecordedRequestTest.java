package io.kvrelay.policies.whatif;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvrelay.schemas.avro.CandidateScore;
import io.kvrelay.schemas.avro.RouteDecision;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class RecordedRequestTest {
    @Test
    void shouldTakeTheRequestFromARecordedDecision() {
        // router-api records the chosen pod by id and the candidates by name: the request names pods one way.
        RecordedRequest r = RecordedRequest.of(decision("alice", List.of(7L, 8L, 9L), "ns/llama/llama-1",
                List.of(new CandidateScore("llama-1", 3, 3, 0.0, 0, 0, 0.1, null),
                        new CandidateScore("llama-0", 0, 0, 3.0, null, null, null, null))));
        assertThat(r.atMs()).isEqualTo(1_700_000_000_123L);
        assertThat(r.service()).isEqualTo("ns/llama");
        assertThat(r.userId()).isEqualTo("alice");
        assertThat(r.blockKeys()).containsExactly(7, 8, 9);
        assertThat(r.promptBlocks()).isEqualTo(3);
        assertThat(r.firstBlockKey()).isEqualTo(7);
        assertThat(r.chosenPod()).isEqualTo("llama-1");
        assertThat(r.candidates()).as("in the router's order").containsExactly("llama-1", "llama-0");

        RecordedRequest none = RecordedRequest.of(decision(null, List.of(), null, List.of()));
        assertThat(none.userId()).isNull();
        assertThat(none.chosenPod()).isNull();
        assertThat(none.candidates()).isEmpty();
        assertThat(none.firstBlockKey()).isZero();
    }

    private static RouteDecision decision(String user, List<Long> keys, String chosen, List<CandidateScore> cands) {
        return RouteDecision.newBuilder().setNamespace("ns").setService("llama").setUserId(user).setBlockKeys(keys)
                .setChosenPod(chosen).setReason("best-cost").setCandidates(cands).setLatencyMicros(100)
                .setAtMicros(1_700_000_000_123_456L).build();
    }

    @Test
    void shouldRefuseAnInconsistentRequest() {
        long[] keys = {1};
        assertThatThrownBy(() -> new RecordedRequest(-1, "ns/a", null, keys, null, List.of()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RecordedRequest(0, " ", null, keys, null, List.of()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RecordedRequest(0, "ns/a", null, keys, "", List.of()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RecordedRequest(0, "ns/a", null, null, null, List.of()))
                .isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> new RecordedRequest(0, "ns/a", null, keys, null, Arrays.asList("a-0", null)))
                .isInstanceOf(NullPointerException.class);
    }
}
