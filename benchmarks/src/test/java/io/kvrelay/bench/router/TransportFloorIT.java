package io.kvrelay.bench.router;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvrelay.testkit.RequiredTools;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The README's transport-floor command, small: both shapes run and print what the README says they print. */
class TransportFloorIT {

    @ParameterizedTest
    @ValueSource(strings = {"true", "false"})
    void theDocumentedCommandRunsAndReports(String hop) {
        RequiredTools.require("wrk", "apt-get install wrk");
        CapturedRun run = CapturedRun.of(new TransportFloor(), "--hop", hop, "--rates", "50", "--seconds", "3",
                "--warmup-seconds", "1", "--wrk-connections", "1");
        String text = run.text();
        assertThat(run.exit()).isZero();
        assertThat(text).containsPattern("rate=50 sent=150 ok=150 errors=0 p50=")
                .containsPattern("rate=50 floor JVM \\(hop=" + hop + "\\): [0-9.]+ ms CPU per request")
                .containsPattern("wrk -c1 floor JVM \\(hop=" + hop + "\\): [0-9.]+ ms CPU per request");
    }
}
