package io.kvrelay.schemas.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PrefixMatchRpcTest {

    @Test
    void requestsAndResponsesSurviveTheRoundTrip() {
        long[] keys = {Long.MIN_VALUE, -1, 0, 42, Long.MAX_VALUE};
        PrefixMatchRpc.Request r = PrefixMatchRpc.decodeRequest(
                PrefixMatchRpc.encode(new PrefixMatchRpc.Request("ns-é", "llama", keys)));
        assertThat(r.namespace()).isEqualTo("ns-é");
        assertThat(r.service()).isEqualTo("llama");
        assertThat(r.keys()).containsExactly(keys);

        PrefixMatchRpc.Response a = new PrefixMatchRpc.Response(new int[] {0, 3, 7},
                List.of(new PrefixMatchRpc.PodMatch("pod-0", 12, 10, 11), new PrefixMatchRpc.PodMatch("pod-1", 1, 0, 1)));
        PrefixMatchRpc.Response b = PrefixMatchRpc.decodeResponse(PrefixMatchRpc.encode(a));
        assertThat(b.partitions()).containsExactly(0, 3, 7);
        assertThat(b.pods()).isEqualTo(a.pods());
    }

    @Test
    void theLayoutIsFixed() {
        byte[] bytes = PrefixMatchRpc.encode(new PrefixMatchRpc.Request("a", "b", new long[] {1}));
        // version, "a", "b", one key
        assertThat(bytes).containsExactly(1, 0, 1, 'a', 0, 1, 'b', 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1);
    }

    @Test
    void damagedMessagesAreRefusedNotTrusted() {
        byte[] ok = PrefixMatchRpc.encode(new PrefixMatchRpc.Request("ns", "svc", new long[] {1, 2, 3}));
        for (int cut = 0; cut < ok.length; cut++) {
            byte[] part = Arrays.copyOf(ok, cut);
            assertThatThrownBy(() -> PrefixMatchRpc.decodeRequest(part))
                    .isInstanceOf(IllegalArgumentException.class);
        }
        // A count that claims more keys than the bytes hold must not allocate them.
        byte[] huge = ok.clone();
        huge[10] = 0x7f;
        assertThatThrownBy(() -> PrefixMatchRpc.decodeRequest(huge)).isInstanceOf(IllegalArgumentException.class);
        Random rnd = new Random(7);
        for (int i = 0; i < 10_000; i++) {
            byte[] junk = new byte[rnd.nextInt(64)];
            rnd.nextBytes(junk);
            if (junk.length > 0) {
                junk[0] = 1;
            }
            try {
                PrefixMatchRpc.decodeResponse(junk);
            } catch (IllegalArgumentException expected) {
                // refused, as it must be
            }
        }
    }
}
