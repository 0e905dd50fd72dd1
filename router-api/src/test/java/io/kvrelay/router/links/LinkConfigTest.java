package io.kvrelay.router.links;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Set;
import org.junit.jupiter.api.Test;

class LinkConfigTest {

    @Test
    void shouldDefaultEverySetting() {
        LinkConfig c = LinkConfig.defaults();

        assertThat(c.redisHost()).isEqualTo("127.0.0.1");
        assertThat(c.redisPort()).isEqualTo(6379);
        assertThat(c.keyPrefix()).isEqualTo("kvrelay:link:");
        assertThat(c.redisTtlMs()).isEqualTo(30 * 60_000L);
        assertThat(c.cacheTtlMs()).as("80 percent of the Redis TTL").isEqualTo(24 * 60_000L);
        assertThat(c.touchIntervalMs()).isEqualTo(60_000L);
        assertThat(c.ownedNamespaces()).containsExactly("default");
        assertThat(c.connectTimeoutMs()).isEqualTo(200);
        assertThat(c.socketTimeoutMs()).isEqualTo(200);
        assertThat(c.redisDeadlineMs()).isEqualTo(5);
        assertThat(c.redisQueueSize()).isEqualTo(256);
    }

    @Test
    void shouldReadTheDeadlineSettingsFromAConfigurationFile() throws Exception {
        LinkConfig c = new com.fasterxml.jackson.databind.ObjectMapper().readValue(
                "{\"redisPort\": 6380, \"redisDeadlineMs\": 7, \"redisQueueSize\": 64}", LinkConfig.class);

        assertThat(c.redisPort()).isEqualTo(6380);
        assertThat(c.redisDeadlineMs()).isEqualTo(7);
        assertThat(c.redisQueueSize()).isEqualTo(64);
        assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readValue("{}", LinkConfig.class))
                .isEqualTo(LinkConfig.defaults());
    }

    @Test
    void shouldRejectADeadlineLongerThanTheSocketTimeout() {
        assertThatThrownBy(() -> LinkConfig.defaults().withRedisDeadlineMs(300))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("links.redisDeadlineMs (300) must be at most links.socketTimeoutMs (200)");
        assertThatThrownBy(() -> LinkConfig.defaults().withRedisDeadlineMs(-1))
                .hasMessageContaining("links.redisDeadlineMs must be > 0");
    }

    @Test
    void shouldDeriveTheCacheTtlFromAnotherRedisTtl() {
        LinkConfig c = LinkConfig.defaults().withTtls(10_000, 0, 0);

        assertThat(c.cacheTtlMs()).isEqualTo(8_000);
        assertThat(c.touchIntervalMs()).isEqualTo(4_000);
    }

    @Test
    void shouldRejectACacheThatOutlivesTheLinksInRedis() {
        assertThatThrownBy(() -> LinkConfig.defaults().withTtls(60_000, 60_000, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("links.cacheTtlMs (60000) must be shorter than links.redisTtlMs (60000)");
    }

    @Test
    void shouldRejectATouchIntervalLongerThanTheCacheTtl() {
        assertThatThrownBy(() -> LinkConfig.defaults().withTtls(60_000, 30_000, 40_000))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("links.touchIntervalMs");
    }

    @Test
    void shouldRejectNegativeDurationsNamingTheSetting() {
        assertThatThrownBy(() -> LinkConfig.defaults().withTtls(-1, 0, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("links.redisTtlMs must be > 0, got -1");
        assertThatThrownBy(() -> LinkConfig.defaults().withRetryIntervalMs(-5))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("links.retryIntervalMs");
    }

    @Test
    void shouldRejectABadPortPrefixOrOwnedNamespace() {
        assertThatThrownBy(() -> LinkConfig.of("h", 70_000, Set.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("links.redisPort");
        assertThatThrownBy(() -> LinkConfig.defaults().withKeyPrefix("  "))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("links.keyPrefix");
        assertThatThrownBy(() -> LinkConfig.of("h", 1, Set.of("a:b")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("links.ownedNamespaces");
    }

    @Test
    void shouldOwnOnlyTheListedNamespaces() {
        LinkConfig c = LinkConfig.of("h", 1, Set.of("prod", "team-a"));

        assertThat(c.owns("prod")).isTrue();
        assertThat(c.owns("staging")).isFalse();
        assertThat(LinkConfig.of("h", 1, Set.of()).owns("default")).as("read-only router").isFalse();
    }
}
