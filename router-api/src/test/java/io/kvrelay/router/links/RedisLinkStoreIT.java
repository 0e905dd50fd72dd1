package io.kvrelay.router.links;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.kvrelay.testkit.RedisServer;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import redis.clients.jedis.RedisClient;

/** Every store operation against a real Redis server, checked with a second, plain client. */
class RedisLinkStoreIT {
    private static final long TTL_MS = 60_000;
    private static RedisServer server;
    private static RedisClient raw;

    private RedisLinkStore store;
    private LinkConfig config;

    @BeforeAll
    static void startRedis() {
        server = RedisServer.start();
        raw = RedisClient.create(server.host(), server.port());
    }

    @AfterAll
    static void stopRedis() {
        raw.close();
        server.close();
    }

    @BeforeEach
    void connect(TestInfo test) {
        config = LinkTestConfig.of(server, test.getTestMethod().orElseThrow().getName()).withTtls(TTL_MS, 0, 0);
        store = RedisLinkStore.connect(config);
    }

    @AfterEach
    void close() {
        store.close();
    }

    private static LinkKey key(String user, String service) {
        return new LinkKey("prod", user, service);
    }

    @Test
    void shouldCreateALinkOnlyWhenAbsentAndAnswerWithTheWinner() {
        LinkKey alice = key("alice", "llama");

        assertThat(store.setIfAbsent(alice, "pod-a")).isEqualTo(new LinkWrite("pod-a", true));
        assertThat(store.setIfAbsent(alice, "pod-b")).isEqualTo(new LinkWrite("pod-a", false));

        assertThat(store.get(alice)).contains("pod-a");
        assertThat(raw.get(store.linkKey(alice))).isEqualTo("pod-a");
        assertThat(raw.pttl(store.linkKey(alice))).isBetween(TTL_MS - 5_000, TTL_MS);
        assertThat(raw.smembers(store.indexKey("prod", "alice"))).containsExactly("llama");
        assertThat(raw.pttl(store.indexKey("prod", "alice"))).isBetween(TTL_MS - 5_000, TTL_MS);
    }

    @Test
    void shouldRestartTheTtlOnTouchButNotOnGet() {
        LinkKey alice = key("alice", "llama");
        store.setIfAbsent(alice, "pod-a");
        raw.pexpire(store.linkKey(alice), 3_000); // as if the link had not been used for a while

        assertThat(store.get(alice)).contains("pod-a");
        assertThat(raw.pttl(store.linkKey(alice))).isLessThanOrEqualTo(3_000);

        assertThat(store.touch(alice)).contains("pod-a");
        assertThat(raw.pttl(store.linkKey(alice))).isGreaterThan(TTL_MS - 5_000);

        assertThat(store.touch(key("bob", "llama"))).isEmpty();
        assertThat(raw.exists(store.linkKey(key("bob", "llama")))).as("touch creates nothing").isFalse();
    }

    @Test
    void shouldExpireALinkThatIsNotUsed() {
        store.close();
        store = RedisLinkStore.connect(config.withTtls(300, 200, 100));
        LinkKey alice = key("alice", "llama");
        store.setIfAbsent(alice, "pod-a");

        await().atMost(Duration.ofSeconds(5)).until(() -> store.get(alice).isEmpty());
        assertThat(raw.exists(store.indexKey("prod", "alice"))).as("the index goes with its links").isFalse();
    }

    @Test
    void shouldCompareAndSetOnlyFromTheExpectedPod() {
        LinkKey alice = key("alice", "llama");
        store.setIfAbsent(alice, "pod-a");
        raw.pexpire(store.linkKey(alice), 3_000);

        assertThat(store.compareAndSet(alice, "pod-a", "pod-b")).isEqualTo(new LinkWrite("pod-b", true));
        assertThat(raw.pttl(store.linkKey(alice))).as("a moved link starts afresh").isGreaterThan(TTL_MS - 5_000);

        assertThat(store.compareAndSet(alice, "pod-a", "pod-c")).isEqualTo(new LinkWrite("pod-b", false));
        assertThat(store.get(alice)).contains("pod-b");

        LinkKey bob = key("bob", "llama");
        assertThat(store.compareAndSet(bob, "pod-a", "pod-c")).isEqualTo(new LinkWrite(null, false));
        assertThat(raw.exists(store.linkKey(bob))).isFalse();
    }

    @Test
    void shouldListTheServicesOfAUserAndPruneExpiredOnes() {
        store.setIfAbsent(key("alice", "llama"), "pod-a");
        store.setIfAbsent(key("alice", "qwen"), "pod-q");
        store.setIfAbsent(key("alice", "mistral"), "pod-m");
        store.setIfAbsent(key("bob", "llama"), "pod-b");
        raw.del(store.linkKey(key("alice", "mistral"))); // as if it had expired

        assertThat(store.servicesOf("prod", "alice")).isEqualTo(Map.of("llama", "pod-a", "qwen", "pod-q"));
        assertThat(raw.smembers(store.indexKey("prod", "alice"))).containsExactlyInAnyOrder("llama", "qwen");
        assertThat(store.servicesOf("prod", "carol")).isEmpty();
        assertThat(store.servicesOf("staging", "alice")).isEmpty();
    }

    @Test
    void shouldKeepUserIdsOpaqueEvenWithColons() {
        store.setIfAbsent(key("a", "llama"), "pod-1");
        store.setIfAbsent(key("a:llama", "x"), "pod-2");
        store.setIfAbsent(key("用户:ü", "llama"), "pod-3");

        assertThat(store.servicesOf("prod", "a")).isEqualTo(Map.of("llama", "pod-1"));
        assertThat(store.servicesOf("prod", "a:llama")).isEqualTo(Map.of("x", "pod-2"));
        assertThat(store.get(key("用户:ü", "llama"))).contains("pod-3");
    }

    @Test
    void shouldDeleteEveryLinkOfOneUser() {
        store.setIfAbsent(key("alice", "llama"), "pod-a");
        store.setIfAbsent(key("alice", "qwen"), "pod-q");
        store.setIfAbsent(key("bob", "llama"), "pod-b");

        assertThat(store.delete("prod", "alice")).isEqualTo(2);

        assertThat(store.servicesOf("prod", "alice")).isEmpty();
        assertThat(raw.exists(store.indexKey("prod", "alice"))).isFalse();
        assertThat(store.get(key("bob", "llama"))).contains("pod-b");
        assertThat(store.delete("prod", "alice")).isZero();
    }

    @Test
    void shouldGroupManyUsersByPodInPipelinedChunks() {
        List<String> users = new ArrayList<>();
        for (int i = 0; i < 1_300; i++) {
            users.add("user-" + i);
            if (i % 4 != 3) { // every fourth user has no link
                store.setIfAbsent(key("user-" + i, "llama"), "pod-" + (i % 4));
            }
        }

        Map<String, List<String>> byPod = store.batchGet("prod", "llama", users);

        assertThat(byPod).containsOnlyKeys("pod-0", "pod-1", "pod-2");
        assertThat(byPod.get("pod-1")).hasSize(325).startsWith("user-1", "user-5").allMatch(u -> {
            int i = Integer.parseInt(u.substring(5));
            return i % 4 == 1;
        });
        assertThat(store.batchGet("prod", "llama", List.of())).isEmpty();
    }

    @Test
    void shouldLoadItsScriptsAgainAfterTheServerForgetsThem() {
        raw.scriptFlush();

        assertThat(store.setIfAbsent(key("alice", "llama"), "pod-a").written()).isTrue();
        assertThat(store.touch(key("alice", "llama"))).contains("pod-a");
    }

    @Test
    void shouldFailFastWithoutAServerAndSaySo() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        LinkConfig nowhere = new LinkConfig("127.0.0.1", closedPort, null, 0, 0, 0, 0, Set.of("prod"), 0, 0,
                60_000, 0);
        try (RedisLinkStore dead = RedisLinkStore.connect(nowhere)) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> dead.get(key("alice", "llama"))).isInstanceOf(LinksUnavailableException.class)
                    .hasMessageContaining("127.0.0.1:" + closedPort).hasMessageContaining("next attempt within");
            assertThatThrownBy(() -> dead.setIfAbsent(key("alice", "llama"), "pod-a"))
                    .isInstanceOf(LinksUnavailableException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
        }
    }
}
