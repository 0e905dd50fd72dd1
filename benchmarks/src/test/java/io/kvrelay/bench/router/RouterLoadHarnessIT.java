package io.kvrelay.bench.router;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvrelay.testkit.RequiredTools;
import org.junit.jupiter.api.Test;

/**
 * The README's router-load command, small (a few seconds at a low rate instead of minutes at thousands): it runs
 * end to end and prints what the README says it prints, wrk's run included (so CI needs Debian's wrk). The figures
 * themselves are for the benchmark, not a test.
 */
class RouterLoadHarnessIT {

    @Test
    void theDocumentedCommandRunsAndReportsEveryRate() {
        RequiredTools.require("wrk", "apt-get install wrk");
        CapturedRun run = CapturedRun.of(new RouterLoadHarness(), "--rates", "20,40", "--seconds", "3",
                "--warmup-seconds", "2", "--pods", "8", "--wrk-connections", "1");
        String text = run.text();
        assertThat(run.exit()).isZero();
        assertThat(text).contains("8 pods at 0.25 ms per uncached block")
                .containsPattern("rate=20 sent=60 ok=60 errors=0 p50=")
                .containsPattern("rate=40 sent=120 ok=120 errors=0 p50=")
                .containsPattern("rate=20 router\\+stream-app JVM \\(1024 tokens per prompt\\): [0-9.]+ ms CPU per request")
                .containsPattern("rate=40 router\\+stream-app JVM \\(1024 tokens per prompt\\): [0-9.]+ ms CPU per request")
                .containsPattern("\\d+ requests in 3")
                .containsPattern("wrk -c1 router\\+stream-app JVM \\(1024 tokens per prompt\\): [0-9.]+ ms CPU per request")
                .containsPattern("wrk link outcomes: (\\w+=\\d+ ?)+")
                .contains("link meters:");
    }
}
