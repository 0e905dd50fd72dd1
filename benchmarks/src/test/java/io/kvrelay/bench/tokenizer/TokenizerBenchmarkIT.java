package io.kvrelay.bench.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The README's tokenizer benchmark command, from the shaded jar as written, shortened (one short iteration, the
 * 1,000-token case): it runs, the in-process and the pod's ids agree (its setup checks), and every method reports.
 */
class TokenizerBenchmarkIT {
    @Test
    void theDocumentedCommandRunsFromTheJar() throws Exception {
        Path jar = Path.of("target", "benchmarks.jar");
        assertThat(jar).as("the shaded jar (this runs after package)").isRegularFile();
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                jar.toString(), "TokenizerBenchmark", "-f", "1", "-wi", "0", "-i", "1", "-r", "200ms", "-p",
                "tokens=1000").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).doesNotContain("<failure>").containsPattern("TokenizerBenchmark.chatInProcess +1000 +avgt")
                .containsPattern("TokenizerBenchmark.chatViaPod +1000 +avgt")
                .containsPattern("TokenizerBenchmark.promptInProcess +1000 +avgt")
                .containsPattern("TokenizerBenchmark.promptViaPod +1000 +avgt");
    }
}
