package io.kvrelay.bench.router;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The README's router-load command, small (a few seconds at a low rate instead of minutes at thousands): it runs
 * end to end and prints what the README says it prints. The figures themselves are for the benchmark, not a test.
 */
class RouterLoadHarnessIT {

    @Test
    void theDocumentedCommandRunsAndReportsEveryRate() {
        PrintStream out = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int exit;
        try (PrintStream tee = new PrintStream(captured, true, StandardCharsets.UTF_8)) {
            System.setOut(tee);
            exit = new CommandLine(new RouterLoadHarness()).execute("--rates", "20,40", "--seconds", "3",
                    "--warmup-seconds", "2", "--pods", "8");
        } finally {
            System.setOut(out);
        }
        String text = captured.toString(StandardCharsets.UTF_8);
        out.print(text);
        assertThat(exit).isZero();
        assertThat(text).contains("8 pods at 0.25 ms per uncached block")
                .containsPattern("rate=20 sent=60 ok=60 errors=0 p50=")
                .containsPattern("rate=40 sent=120 ok=120 errors=0 p50=")
                .containsPattern("rate=20 router\\+stream-app JVM: [0-9.]+ ms CPU per request")
                .containsPattern("rate=40 router\\+stream-app JVM: [0-9.]+ ms CPU per request")
                .contains("link meters:");
    }
}
