package io.kvrelay.policies.whatif;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvrelay.policies.ServiceModel;
import java.util.List;
import org.junit.jupiter.api.Test;

class BlockLruPodTest {
    static RecordedRequest prompt(long... keys) {
        return new RecordedRequest(0, "ns/a", "u", keys, "a-0", List.of("a-0"));
    }

    @Test
    void shouldCountOnlyTheLeadingCachedBlocks() {
        BlockLruPod pod = new BlockLruPod("a-0", 0, 16);
        assertThat(pod.serve(prompt(1, 2, 3))).as("cold").isZero();
        assertThat(pod.cachedPrefixBlocks(prompt(1, 2, 3, 4))).isEqualTo(3);
        assertThat(pod.cachedPrefixBlocks(prompt(9, 2, 3))).as("cached, but not a prefix").isZero();
        assertThat(pod.cachedPrefixBlocks(prompt(1, 9, 3))).as("the prefix stops at the first miss").isEqualTo(1);
        assertThat(pod.cachedPrefixBlocks(prompt())).isZero();
        assertThat(pod.serve(prompt(1, 2, 3, 4))).as("serve answers what was cached before it").isEqualTo(3);
        assertThat(pod.size()).isEqualTo(4);
    }

    @Test
    void shouldEvictTheLeastRecentlyUsedBlocksOfOtherPrompts() {
        BlockLruPod pod = new BlockLruPod("a-0", 0, 4);
        pod.serve(prompt(1, 2));
        pod.serve(prompt(3, 4));
        assertThat(pod.serve(prompt(1, 2))).as("touched again: now the most recent").isEqualTo(2);
        pod.serve(prompt(5, 6));
        assertThat(pod.contains(3)).isFalse();
        assertThat(pod.contains(4)).isFalse();
        assertThat(pod.cachedPrefixBlocks(prompt(1, 2))).isEqualTo(2);
        assertThat(pod.cachedPrefixBlocks(prompt(5, 6))).isEqualTo(2);
        assertThat(pod.size()).isEqualTo(4);
    }

    @Test
    void shouldEvictAPromptsTailBeforeItsPrefix() {
        // Touched last to first, as vLLM frees blocks: the shared prefix stays, the tail goes first.
        BlockLruPod pod = new BlockLruPod("a-0", 0, 3);
        pod.serve(prompt(1, 2, 3));
        pod.serve(prompt(9));
        assertThat(pod.contains(3)).isFalse();
        assertThat(pod.cachedPrefixBlocks(prompt(1, 2, 3))).isEqualTo(2);
    }

    @Test
    void shouldCacheOnlyTheFirstBlocksOfAPromptLongerThanTheCache() {
        BlockLruPod pod = new BlockLruPod("a-0", 0, 2);
        assertThat(pod.serve(prompt(1, 2, 3))).isZero();
        assertThat(pod.size()).isEqualTo(2);
        assertThat(pod.serve(prompt(1, 2, 3))).isEqualTo(2);
        assertThatThrownBy(() -> new BlockLruPod("a-0", 0, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldCountRequestsInFlightWaitingAndTheirShareOfTheCache() {
        BlockLruPod pod = new BlockLruPod("a-0", 0, 10);
        ServiceModel.PrefillQueues q = new ServiceModel(2, 10, 100).queues(1);
        RecordedRequest r = prompt(1, 2, 3, 4);
        pod.hold(r, q.admit(0, 0, 4, 1)); // prefill 0..8 ms, in flight until 118
        pod.hold(r, q.admit(0, 1, 4, 1)); // waits for the slot until 8, prefill 8..16, in flight until 127
        pod.advanceTo(1);
        assertThat(pod.inFlight()).isEqualTo(2);
        assertThat(pod.waiting()).isEqualTo(1);
        assertThat(pod.kvCacheUsage()).isEqualTo(0.8);
        pod.advanceTo(8);
        assertThat(pod.waiting()).as("its prefill started").isZero();
        pod.advanceTo(118);
        assertThat(pod.inFlight()).isEqualTo(1);
        assertThat(pod.kvCacheUsage()).isEqualTo(0.4);
        pod.advanceTo(127);
        assertThat(pod.inFlight()).isZero();
        assertThat(pod.kvCacheUsage()).isZero();
    }
}
