package io.kvrelay.policies;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvrelay.router.links.LinkConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

class StickyLinksTest {
    private static final List<FakePod> PODS = List.of(new FakePod("a-0", 0, 0), new FakePod("a-1", 0, 0));

    @Test
    void shouldKeepALinkInUseAndForgetOneIdleForTheRoutersTtl() {
        StickyLinks links = new StickyLinks();
        links.link(at("alice", 0), "a-1");
        double ttl = LinkConfig.DEFAULT_REDIS_TTL_MS;
        assertThat(links.linkedIndex(at("alice", ttl - 1), PODS)).as("used just in time").isEqualTo(1);
        assertThat(links.linkedIndex(at("alice", 2 * ttl - 2), PODS)).as("each use starts its idle time again")
                .isEqualTo(1);
        assertThat(links.linkedIndex(at("alice", 3 * ttl), PODS)).as("idle longer than the TTL: gone").isEqualTo(-1);
    }

    private static TestRequest at(String user, double ms) {
        return new TestRequest("a", user, 1, 42, ms);
    }
}
