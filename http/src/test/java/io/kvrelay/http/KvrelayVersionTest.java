package io.kvrelay.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class KvrelayVersionTest {

    @Test
    void theBuildStampsTheVersion() {
        assertThat(KvrelayVersion.current()).matches("\\d+\\.\\d+\\.\\d+(-SNAPSHOT)?");
        assertThat(new KvrelayVersion().getVersion()).containsExactly("kvrelay " + KvrelayVersion.current());
    }
}
