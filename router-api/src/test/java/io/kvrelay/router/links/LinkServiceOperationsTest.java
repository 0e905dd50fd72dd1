package io.kvrelay.router.links;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The seed driver's other operations: cache semantics, ownership, errors. */
class LinkServiceOperationsTest {
    private static final String NS = "prod";
    private static final LinkKey ALICE = new LinkKey(NS, "alice", "llama");

    private final FakeLinkStore store = new FakeLinkStore();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final LinkService links = new LinkService(store, LinkConfig.of("localhost", 6379, Set.of(NS)), registry);

    @Test
    void shouldReadCacheThenRedisWithoutFillingTheCacheInGetLinkedPod() {
        store.links.put(ALICE, "pod-a");

        assertThat(links.getLinkedPod(NS, "alice", "llama")).contains("pod-a");
        assertThat(links.getLinkedInCache(NS, "alice", "llama")).isEmpty();

        links.setCache(NS, "alice", "llama", "pod-c");
        assertThat(links.getLinkedPod(NS, "alice", "llama")).as("the cache answers first").contains("pod-c");
        assertThat(links.getLinkedPodNotCache(NS, "alice", "llama")).as("Redis only").contains("pod-a");
    }

    @Test
    void shouldCacheWhatRedisHoldsInGetLinkedPodInCacheOrIfPersist() {
        store.links.put(ALICE, "pod-a");

        assertThat(links.getLinkedPodInCacheOrIfPersist(NS, "alice", "llama")).contains("pod-a");
        assertThat(links.getLinkedInCache(NS, "alice", "llama")).contains("pod-a");
        assertThat(links.getLinkedPodInCacheOrIfPersist(NS, "bob", "llama")).isEmpty();
        assertThat(store.gets).hasValue(2);
    }

    @Test
    void shouldForgetOnlyTheLocalCopyInCacheExpired() {
        store.links.put(ALICE, "pod-a");
        links.getLinkedPodInCacheOrIfPersist(NS, "alice", "llama");

        links.cacheExpired(NS, "alice", "llama");

        assertThat(links.getLinkedInCache(NS, "alice", "llama")).isEmpty();
        assertThat(store.links).containsEntry(ALICE, "pod-a");
    }

    @Test
    void shouldReturnTheExistingLinkFromSetLinkedPodIfAbsent() {
        assertThat(links.setLinkedPodIfAbsent(NS, "alice", "llama", "pod-a")).isEqualTo(new LinkWrite("pod-a", true));
        assertThat(links.setLinkedPodIfAbsent(NS, "alice", "llama", "pod-b")).isEqualTo(new LinkWrite("pod-a", false));
        assertThat(links.getLinkedInCache(NS, "alice", "llama")).contains("pod-a");
    }

    @Test
    void shouldRefuseWritesInANamespaceItDoesNotOwn() {
        assertThatThrownBy(() -> links.setLinkedPodIfAbsent("staging", "alice", "llama", "pod-a"))
                .isInstanceOf(NamespaceNotOwnedException.class).hasMessageContaining("'staging'")
                .extracting(e -> ((NamespaceNotOwnedException) e).namespace()).isEqualTo("staging");
        assertThatThrownBy(() -> links.deleteLinks("staging", "alice"))
                .isInstanceOf(NamespaceNotOwnedException.class);
        assertThat(store.links).isEmpty();
    }

    @Test
    void shouldListEveryServiceOfAUser() {
        links.setLinkedPodIfAbsent(NS, "alice", "llama", "pod-a");
        links.setLinkedPodIfAbsent(NS, "alice", "qwen", "pod-q");
        links.setLinkedPodIfAbsent(NS, "bob", "llama", "pod-b");

        assertThat(links.getLinkService(NS, "alice")).isEqualTo(Map.of("llama", "pod-a", "qwen", "pod-q"));
    }

    @Test
    void shouldGroupUsersByPodFromCacheAndRedisInBatchGet() {
        store.links.put(ALICE, "pod-a");
        store.links.put(new LinkKey(NS, "bob", "llama"), "pod-b");
        links.setCache(NS, "carol", "llama", "pod-a");

        Map<String, List<String>> byPod = links.batchGetLinkedPod(NS, "llama", List.of("alice", "bob", "carol", "dan"));

        assertThat(byPod).containsOnlyKeys("pod-a", "pod-b");
        assertThat(byPod.get("pod-a")).containsExactlyInAnyOrder("alice", "carol");
        assertThat(byPod.get("pod-b")).containsExactly("bob");
    }

    @Test
    void shouldDeleteEveryLinkOfAUserHereAndInRedis() {
        links.setLinkedPodIfAbsent(NS, "alice", "llama", "pod-a");
        links.setLinkedPodIfAbsent(NS, "alice", "qwen", "pod-q");

        assertThat(links.deleteLinks(NS, "alice")).isEqualTo(2);

        assertThat(store.links).isEmpty();
        assertThat(links.getLinkedInCache(NS, "alice", "llama")).isEmpty();
    }

    @Test
    void shouldThrowLinksUnavailableFromEveryRedisOperationWhileRedisIsDown() {
        store.down = true;

        assertThatThrownBy(() -> links.getLinkedPod(NS, "alice", "llama"))
                .isInstanceOf(LinksUnavailableException.class);
        assertThatThrownBy(() -> links.getLinkedPodNotCache(NS, "alice", "llama"))
                .isInstanceOf(LinksUnavailableException.class);
        assertThatThrownBy(() -> links.setLinkedPodIfAbsent(NS, "alice", "llama", "pod-a"))
                .isInstanceOf(LinksUnavailableException.class);
        assertThatThrownBy(() -> links.getLinkService(NS, "alice")).isInstanceOf(LinksUnavailableException.class);
        assertThatThrownBy(() -> links.batchGetLinkedPod(NS, "llama", List.of("alice")))
                .isInstanceOf(LinksUnavailableException.class);
        assertThat(registry.get("kvrelay.links.redis.errors").counter().count()).isEqualTo(5);

        links.setCache(NS, "alice", "llama", "pod-a");
        assertThat(links.getLinkedPod(NS, "alice", "llama")).as("the cache still answers").contains("pod-a");
    }

    @Test
    void shouldRejectMalformedKeysWithMessagesThatSayWhy() {
        assertThatThrownBy(() -> links.getLinkedInCache("pr:od", "alice", "llama"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("namespace must not contain ':'");
        assertThatThrownBy(() -> links.getLinkedInCache(NS, "", "llama"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("user id is required");
        assertThatThrownBy(() -> links.getLinkedInCache(NS, "x".repeat(513), "llama"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most 512");
        assertThatThrownBy(() -> links.setCache(NS, "alice", "llama", " "))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("pod is required");
        assertThat(links.getLinkedInCache(NS, "user:with:colons", "llama")).as("user ids are opaque").isEmpty();
    }
}
