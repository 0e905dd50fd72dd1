package io.kvrelay.ingest.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvrelay.ingest.config.PodConfig;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class PodCatalogTest {
    private static PodConfig pod(String name, int port) {
        return new PodConfig("ns", "svc", name, null, "127.0.0.1", port, null, 1, null, "");
    }

    @Test
    void shouldMergeSourcesAndTellOnlyOfChanges() {
        PodCatalog c = new PodCatalog();
        AtomicInteger changes = new AtomicInteger();
        c.onChange(changes::incrementAndGet);

        c.replaceAll(PodSource.CONFIG, List.of(new DesiredPod(pod("a", 1), PodSource.CONFIG, null)));
        c.put(new DesiredPod(pod("b", 2), PodSource.ADMIN, null));
        c.put(new DesiredPod(pod("b", 2), PodSource.ADMIN, null)); // the same again: no change
        c.put(new DesiredPod(pod("a", 9), PodSource.KUBERNETES, "uid")); // named twice: CONFIG wins

        assertThat(c.desired().keySet()).containsExactly("ns/svc/a", "ns/svc/b");
        assertThat(c.desired().get("ns/svc/a").config().pubPort()).isEqualTo(1);
        assertThat(changes).hasValue(3);

        assertThat(c.remove(PodSource.CONFIG, "ns/svc/a")).isTrue();
        assertThat(c.desired().get("ns/svc/a").source()).isEqualTo(PodSource.KUBERNETES);
        assertThat(c.remove(PodSource.ADMIN, "ns/svc/x")).isFalse();
        assertThat(changes).hasValue(4);
    }
}
