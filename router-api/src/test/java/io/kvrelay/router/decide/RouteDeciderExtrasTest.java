package io.kvrelay.router.decide;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvrelay.router.links.LinkConfig;
import io.kvrelay.router.links.LinkKey;
import io.kvrelay.router.links.LinkService;
import io.kvrelay.router.links.LinkStore;
import io.kvrelay.router.links.LinkWrite;
import io.kvrelay.router.scoring.CostModel;
import io.kvrelay.router.scoring.PodScorer;
import io.kvrelay.router.state.PodInfo;
import io.kvrelay.router.state.ServiceStateCache;
import io.kvrelay.schemas.BlockKeys;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The decider keys a request with its salt and images exactly as stream-app keys the events: an index that holds
 * each pod's keys answers the longest prefix, and the decision follows the request's extra keys.
 */
class RouteDeciderExtrasTest {
    private static final int BS = 16;
    private static final int[] PROMPT = java.util.stream.IntStream.range(500, 500 + 4 * BS).toArray();
    private final Map<String, long[]> held = new HashMap<>();
    private final RouteDecider decider;

    RouteDeciderExtrasTest() {
        List<PodInfo> pods = List.of(pod("salted"), pod("plain"), pod("image"));
        PodScorer scorer = new PodScorer(CostModel.defaults());
        ServiceStateCache states = new ServiceStateCache((ns, s) -> pods, scorer, ServiceStateCache.Config.defaults(),
                Clock.systemUTC());
        LinkService links = new LinkService(NO_LINKS, LinkConfig.of("127.0.0.1", 6379, Set.of("ns")),
                new SimpleMeterRegistry());
        decider = new RouteDecider(states, this::lookup, links, scorer,
                new io.kvrelay.router.inflight.InFlightLedger(2_000), new IndexWait(java.time.Duration.ofMillis(50), 0.1),
                BS);
        held.put("salted", BlockKeys.keys(PROMPT, BS, BlockKeys.Extras.of(null, "tenant-a", null)));
        held.put("plain", BlockKeys.chain(PROMPT, BS, (String) null));
        // Placeholders at tokens 40..47: block 2.
        held.put("image", BlockKeys.keys(PROMPT, BS, BlockKeys.Extras.of(null, null,
                List.of(new BlockKeys.MmItem("img-x", 40, 8)))));
    }

    private static PodInfo pod(String name) {
        return new PodInfo("ns", "svc", name, null, null, true, true, false, 0, 0, 0.0, BS, 0);
    }

    /** Each pod's longest held prefix of the asked keys, all on GPU. */
    private java.util.concurrent.CompletableFuture<PrefixMatches> lookup(String ns, String service, long[] keys,
                                                                        java.time.Duration deadline) {
        Map<String, int[]> out = new HashMap<>();
        held.forEach((pod, k) -> {
            int n = 0;
            while (n < keys.length && n < k.length && keys[n] == k[n]) {
                n++;
            }
            if (n > 0) {
                out.put(pod, new int[] {n, n, n});
            }
        });
        return java.util.concurrent.CompletableFuture.completedFuture(new PrefixMatches(out));
    }

    private RouteResult route(String salt, BlockKeys.MmItem... mm) throws Exception {
        return decider.route(new RouteRequest("ns", "svc", null, PROMPT, BlockKeys.Extras.of(null, salt,
                List.of(mm))));
    }

    @Test
    void shouldSendASaltedPromptOnlyToThePodHoldingItsSalt() throws Exception {
        RouteResult salted = route("tenant-a");
        assertThat(salted.pod().pod()).isEqualTo("salted");
        assertThat(salted.matchedBlocks()).isEqualTo(4);

        RouteResult otherSalt = route("tenant-b");
        assertThat(otherSalt.matchedBlocks()).as("equal tokens, another salt: no match").isZero();

        RouteResult plain = route(null);
        assertThat(plain.pod().pod()).isEqualTo("plain");
        assertThat(plain.matchedBlocks()).isEqualTo(4);
        assertThat(plain.candidates()).filteredOn(s -> s.pod().pod().equals("salted"))
                .extracting(PodScorer.Score::matched).containsExactly(0);
    }

    @Test
    void shouldMatchTheBlocksBeforeAnotherImageOnly() throws Exception {
        RouteResult same = route(null, new BlockKeys.MmItem("img-x", 40, 8));
        assertThat(same.pod().pod()).isEqualTo("image");
        assertThat(same.matchedBlocks()).isEqualTo(4);

        RouteResult other = route(null, new BlockKeys.MmItem("img-y", 40, 8));
        assertThat(other.candidates()).filteredOn(s -> s.pod().pod().equals("image"))
                .extracting(PodScorer.Score::matched).as("blocks 0 and 1 precede the image").containsExactly(2);
        assertThat(other.blockKeys()).startsWith(held.get("plain")[0], held.get("plain")[1]);
        assertThat(other.blockKeys()[2]).isNotEqualTo(held.get("plain")[2]).isNotEqualTo(held.get("image")[2]);
    }

    /** Only used without a user: the decider never touches links then. */
    private static final LinkStore NO_LINKS = new LinkStore() {
        @Override
        public Optional<String> get(LinkKey key) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Optional<String> touch(LinkKey key) {
            throw new UnsupportedOperationException();
        }

        @Override
        public LinkWrite setIfAbsent(LinkKey key, String pod) {
            throw new UnsupportedOperationException();
        }

        @Override
        public LinkWrite restore(LinkKey key, String pod) {
            throw new UnsupportedOperationException();
        }

        @Override
        public LinkWrite compareAndSet(LinkKey key, String expectedPod, String newPod) {
            throw new UnsupportedOperationException();
        }

        @Override
        public int delete(String namespace, String user) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Map<String, String> servicesOf(String namespace, String user) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Map<String, List<String>> batchGet(String namespace, String service, Collection<String> users) {
            throw new UnsupportedOperationException();
        }
    };
}
