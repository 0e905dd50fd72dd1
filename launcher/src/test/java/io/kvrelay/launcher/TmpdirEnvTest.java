package io.kvrelay.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TmpdirEnvTest {
    @TempDir
    Path dir;

    @Test
    void shouldUseTmpdirWhenSet() {
        assertThat(TmpdirEnv.chosen(dir.toString(), List.of("-Xss1m"))).isEqualTo(dir.toString());
    }

    @Test
    void shouldKeepTheJvmsWhenUnsetBlankOrMissing() {
        assertThat(TmpdirEnv.chosen(null, List.of())).isNull();
        assertThat(TmpdirEnv.chosen(" ", List.of())).isNull();
        assertThat(TmpdirEnv.chosen(dir.resolve("not-there").toString(), List.of())).isNull();
    }

    @Test
    void shouldLetAnExplicitJvmOptionWin() {
        assertThat(TmpdirEnv.chosen(dir.toString(), List.of("-Djava.io.tmpdir=/var/tmp"))).isNull();
    }
}
