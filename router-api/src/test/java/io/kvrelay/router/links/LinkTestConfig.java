package io.kvrelay.router.links;

import io.kvrelay.testkit.RedisServer;
import java.util.Set;

/** Link settings for tests against a real server. */
final class LinkTestConfig {
    private LinkTestConfig() {
    }

    /**
     * Owns namespace {@code prod}; a key prefix of its own per test, so tests never see each other's links; timeouts
     * and a route deadline generous enough for a busy 2-core machine (these tests are about what is decided, not
     * how fast), and a short fail-fast window so recovery tests stay quick.
     */
    static LinkConfig of(RedisServer server, String tag) {
        return new LinkConfig(server.host(), server.port(), "kvrelay-test:" + tag + ":", 0, 0, 0, 0, Set.of("prod"),
                2_000, 2_000, 100, 16, 2_000, 0, null);
    }
}
