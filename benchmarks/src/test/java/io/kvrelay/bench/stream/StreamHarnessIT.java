package io.kvrelay.bench.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvrelay.testkit.ChildJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's stream-app harness command, small (5,000 entries), run as the README runs it (its own JVM): every
 * measurement prints its line, and every restart variant answers every sample prompt as before. Outcomes only: the
 * figures are the benchmark's, not a test's (the machine is shared).
 */
class StreamHarnessIT {
    @TempDir
    Path dir;

    @Test
    void shouldMeasureApplyFreshnessRestoreAndKillRestart() throws Exception {
        Path log = dir.resolve("harness.log");
        List<String> args = List.of("--entries", "5000", "--probes", "5", "--samples", "5", "--restart",
                "static,static-persistent,dynamic,static-persistent-sigterm", "--session-timeout-ms", "6000");
        try (ChildJvm harness = ChildJvm.start(StreamHarness.class.getName(), List.of("-Xmx1g"), args, log)) {
            assertThat(harness.waitFor(Duration.ofMinutes(8))).as("exit code; see %s", log).hasValue(0);
        }
        String text = Files.readString(log);
        assertThat(text).containsPattern("apply: 5,000 entries")
                .containsPattern("freshness over 5 probes")
                .containsPattern("restore: 5,005 entries")
                .containsPattern(restart("kill -9", "static", "static", "in-memory"))
                .containsPattern(restart("kill -9", "static-persistent", "static", "RocksDB"))
                .containsPattern(restart("kill -9", "dynamic", "dynamic", "in-memory"))
                .containsPattern(restart("SIGTERM", "static-persistent-sigterm", "static", "RocksDB"));
    }

    private static String restart(String stop, String variant, String membership, String stores) {
        return java.util.regex.Pattern.quote(stop + " + restart (" + variant + ": " + membership + " membership, "
                + stores + " stores, session timeout 6 s): 5,005 entries; stop -> answering ")
                + "[0-9.]+ s .* 5 sample prompts answered as before \\(5 of them matched whole by their pod\\)";
    }
}
