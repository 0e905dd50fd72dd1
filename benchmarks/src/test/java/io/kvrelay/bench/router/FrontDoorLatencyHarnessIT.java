package io.kvrelay.bench.router;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The README's front-door command, small (2 pods, a few seconds at 50 req/s): the whole pipeline starts, both targets
 * answer every streamed request to its end, and the summary is printed. Outcomes only: the figures are the
 * benchmark's, not a test's (the machine is shared).
 */
class FrontDoorLatencyHarnessIT {

    @Test
    void bothTargetsAnswerEveryRequest() {
        CapturedRun run = CapturedRun.of(new FrontDoorLatencyHarness(), "--rates", "50", "--seconds", "3",
                "--warmup-seconds", "2", "--pods", "2");
        String text = run.text();
        assertThat(run.exit()).isZero();
        assertThat(text).contains("2 pods (0 ms per prefill block, 0 ms per decode step)")
                .containsPattern("direct rate=50:\\s+rate=50 sent=150 ok=150 errors=0 first-byte p50=")
                .containsPattern("front-door rate=50:\\s+rate=50 sent=150 ok=150 errors=0 first-byte p50=")
                .containsPattern("direct rate=50 pipeline JVM: [0-9.]+ ms CPU per request")
                .containsPattern("front-door rate=50 pipeline JVM: [0-9.]+ ms CPU per request")
                .containsPattern("rate=50 direct +ok=150 errors=0 first-byte")
                .containsPattern("rate=50 front-door ok=150 errors=0 first-byte")
                .containsPattern("rate=50 added by the front door: first-byte p50=[-+][0-9.]+ p99=");
    }
}
