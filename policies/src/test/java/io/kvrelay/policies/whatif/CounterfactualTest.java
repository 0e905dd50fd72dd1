package io.kvrelay.policies.whatif;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class CounterfactualTest {
    private static final List<String> TWO_PODS = List.of("a-1", "a-0");

    private static RecordedRequest at(long ms, String user, String chosen, long... keys) {
        return new RecordedRequest(ms, "ns/a", user, keys, chosen, TWO_PODS);
    }

    /** The defaults, with caches of {@code blocks} on every pod of the generated workload: eviction matters. */
    private static WhatIfSettings smallCaches(int blocks) {
        Map<String, Integer> sizes = new java.util.HashMap<>();
        for (int p = 0; p < 4; p++) {
            sizes.put("ns/a/a-" + p, blocks);
            sizes.put("ns/b/b-" + p, blocks);
        }
        return WhatIfSettings.defaults().withCapacities(sizes);
    }

    private static Map<String, PolicyOutcome> byPolicy(List<PolicyOutcome> outcomes) {
        return outcomes.stream().collect(Collectors.toMap(PolicyOutcome::policy, Function.identity()));
    }

    @Test
    void shouldReportEveryPolicyInOrder() {
        List<PolicyOutcome> out = Counterfactual.run(List.of(at(0, "u", "a-0", 1, 2)), WhatIfSettings.defaults());
        assertThat(out).extracting(PolicyOutcome::policy).containsExactly("as-recorded", "round-robin",
                "least-loaded", "sticky-only", "kvrelay", "kvrelay-sticky", "kvrelay-busy-decode", "oracle-hit");
        assertThat(out).allSatisfy(o -> assertThat(o.description()).isNotBlank());
    }

    @Test
    void shouldFollowTheRecordedChoicesInAsRecorded() {
        // 10 s apart: nothing queues. a-1 serves the prompt twice (second time a full hit), then a-0 cold.
        List<RecordedRequest> rs = List.of(at(0, "u", "a-1", 1, 2, 3), at(10_000, "u", "a-1", 1, 2, 3, 4),
                at(20_000, "u", "a-0", 1, 2, 3, 4));
        PolicyOutcome asRecorded = byPolicy(Counterfactual.run(rs, WhatIfSettings.defaults())).get("as-recorded");
        assertThat(asRecorded.requests()).isEqualTo(3);
        assertThat(asRecorded.promptBlocks()).isEqualTo(11);
        assertThat(asRecorded.hitBlocks()).isEqualTo(3);
        assertThat(asRecorded.hitRate()).isCloseTo(3 / 11.0, within(1e-12));
        // TTFT = uncached x 2 ms + 10 ms: 16, 12, 18.
        assertThat(asRecorded.meanTtftMs()).isCloseTo((16 + 12 + 18) / 3.0, within(1e-9));
        assertThat(asRecorded.p99TtftMs()).isEqualTo(18);
        assertThat(asRecorded.perService()).containsOnlyKeys("ns/a");
        assertThat(asRecorded.perService().get("ns/a").hitBlocks()).isEqualTo(3);
        assertThat(asRecorded.perService().get("ns/a").policy()).isEqualTo("as-recorded");
    }

    @Test
    void shouldQueuePrefillsOnAPodAndKeepItBusyForTheDecodeTime() {
        WhatIfSettings s = WhatIfSettings.defaults().withModel(2, 500);
        // Both on a-0, 5 ms apart: the second waits until the first's 20 ms prefill ends.
        List<RecordedRequest> rs = List.of(at(0, "u", "a-0", 1, 2, 3, 4, 5, 6, 7, 8, 9, 10),
                at(5, "v", "a-0", 11, 12));
        PolicyOutcome o = byPolicy(Counterfactual.run(rs, s)).get("as-recorded");
        assertThat(o.meanTtftMs()).isCloseTo((30 + (15 + 4 + 10)) / 2.0, within(1e-9));
        PolicyOutcome ll = byPolicy(Counterfactual.run(rs, s)).get("least-loaded");
        assertThat(ll.meanTtftMs()).as("the first is in flight, so the second goes to the other pod")
                .isCloseTo((30 + 14) / 2.0, within(1e-9));
    }

    @Test
    void shouldSpreadUnderRoundRobinAndKeepAUserUnderStickyOnly() {
        List<RecordedRequest> rs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            rs.add(at(10_000L * i, "u", "a-0", 1, 2, 3, 4, 5));
        }
        Map<String, PolicyOutcome> out = byPolicy(Counterfactual.run(rs, WhatIfSettings.defaults()));
        assertThat(out.get("round-robin").hitBlocks()).as("a-0, a-1, a-0, a-1: two cold starts").isEqualTo(10);
        assertThat(out.get("sticky-only").hitBlocks()).as("one pod: one cold start").isEqualTo(15);
        assertThat(out.get("oracle-hit").hitBlocks()).isEqualTo(15);
        assertThat(out.get("kvrelay").hitBlocks()).isEqualTo(15);
    }

    @Test
    void shouldScoreEveryPolicyOnTheSameRequestsAndCountTheSkippedOnes() {
        List<RecordedRequest> rs = new ArrayList<>(RecordedWorkload.generate(200, 4, 1));
        rs.add(new RecordedRequest(1_700_000_000_000L, "ns/a", "x", new long[] {1}, null, List.of("a-0")));
        rs.add(new RecordedRequest(1_700_000_000_001L, "ns/a", "x", new long[] {1}, "a-0", List.of()));
        List<PolicyOutcome> out = Counterfactual.run(rs, WhatIfSettings.defaults());
        long prompt = RecordedWorkload.generate(200, 4, 1).stream().mapToLong(RecordedRequest::promptBlocks).sum();
        assertThat(out).allSatisfy(o -> {
            assertThat(o.requests()).isEqualTo(200);
            assertThat(o.skipped()).isEqualTo(2);
            assertThat(o.promptBlocks()).isEqualTo(prompt);
            assertThat(o.perService().values().stream().mapToInt(ServiceOutcome::requests).sum()).isEqualTo(200);
        });
    }

    @Test
    void shouldDecideAmongTheCandidatesPlusTheChosenPod() {
        // The chosen pod missing from the candidates is added to them, so as-recorded can follow it.
        RecordedRequest r = new RecordedRequest(0, "ns/a", "u", new long[] {1}, "a-9", List.of("a-0"));
        assertThat(Counterfactual.run(List.of(r), WhatIfSettings.defaults()))
                .allSatisfy(o -> assertThat(o.requests()).isEqualTo(1));
    }

    @Test
    void shouldLetTheOracleHitAtLeastAsMuchAsAnyPolicyAndKvrelayBeatRoundRobin() {
        List<RecordedRequest> rs = RecordedWorkload.generate(3000, 4, 42);
        Map<String, PolicyOutcome> out = byPolicy(Counterfactual.run(rs, smallCaches(200)));
        double oracle = out.get("oracle-hit").hitRate();
        out.values().forEach(o -> assertThat(oracle).as(o.policy()).isGreaterThanOrEqualTo(o.hitRate()));
        assertThat(out.get("kvrelay").hitRate()).isGreaterThan(out.get("round-robin").hitRate() + 0.1);
        assertThat(out.get("kvrelay").hitRate()).isGreaterThan(out.get("as-recorded").hitRate());
    }

    @Test
    void shouldGiveTheSameOutcomeForTheSameRequestsAndSeed() {
        List<RecordedRequest> rs = RecordedWorkload.generate(1000, 3, 5);
        WhatIfSettings s = smallCaches(150);
        assertThat(Counterfactual.run(rs, s)).isEqualTo(Counterfactual.run(RecordedWorkload.generate(1000, 3, 5), s));
        assertThat(Counterfactual.run(rs, s.withSeed(7)).get(3).hitBlocks())
                .as("sticky-only's random pods come from the seed")
                .isNotEqualTo(Counterfactual.run(rs, s).get(3).hitBlocks());
    }

    @Test
    void shouldUseEachPodsCapacity() {
        // a-0 holds 2 blocks: the 3-block prompt never fully hits there.
        List<RecordedRequest> rs = List.of(at(0, "u", "a-0", 1, 2, 3), at(10_000, "u", "a-0", 1, 2, 3));
        WhatIfSettings s = WhatIfSettings.defaults().withCapacities(Map.of("ns/a/a-0", 2));
        assertThat(byPolicy(Counterfactual.run(rs, s)).get("as-recorded").hitBlocks()).isEqualTo(2);
    }

    @Test
    void shouldSerialiseToJsonWithNullsForEmptyRates() throws Exception {
        ObjectMapper json = new ObjectMapper();
        JsonNode tree = json.valueToTree(Counterfactual.run(List.of(at(0, "u", "a-0", 1, 2)),
                WhatIfSettings.defaults()));
        JsonNode first = tree.get(0);
        assertThat(first.path("policy").asText()).isEqualTo("as-recorded");
        assertThat(first.path("perService").path("ns/a").path("hitRate").asDouble()).isZero();
        assertThat(first.path("perService").path("ns/a").path("policy").asText()).isEqualTo("as-recorded");
        JsonNode empty = json.valueToTree(Counterfactual.run(List.of(), WhatIfSettings.defaults()));
        assertThat(empty.get(0).path("hitRate").isNull()).isTrue();
        assertThat(empty.get(0).path("requests").asInt()).isZero();
        assertThat(json.writeValueAsString(WhatIfSettings.defaults().describe())).contains("kvrelay-busy-decode");
    }
}
