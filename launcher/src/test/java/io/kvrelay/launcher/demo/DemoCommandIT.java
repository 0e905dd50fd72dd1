package io.kvrelay.launcher.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code java -jar kvrelay.jar demo} as a user runs it, briefly, in a process of its own: its files go under
 * {@code $TMPDIR} (not the JVM's /tmp), the run logs to a file of its own in its own directory (printed at start and
 * kept), the broker's and stream-app's data are gone at the end, and nothing lands in the working directory.
 */
class DemoCommandIT {
    private static final Path JAR = Path.of("target", "kvrelay.jar").toAbsolutePath();

    @TempDir
    Path tmp;

    @Test
    void shouldLogTheRunToItsOwnFileUnderTmpdir() throws Exception {
        assertThat(JAR).as("the launcher jar (this runs after package)").isRegularFile();
        Path tmpdir = Files.createDirectory(tmp.resolve("tmpdir"));
        Path cwd = Files.createDirectory(tmp.resolve("cwd"));
        ProcessBuilder pb = new ProcessBuilder(javaBin(), "-jar", JAR.toString(), "demo", "--duration", "3",
                "--pods-per-service", "1", "--router-port", "0", "--stream-port", "0", "--bridge-admin-port", "0")
                .directory(cwd.toFile()).redirectErrorStream(true);
        pb.environment().put("TMPDIR", tmpdir.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).as("demo finished").isTrue();
        assertThat(p.exitValue()).as(out).isZero();

        Matcher m = Pattern.compile("run dir (\\S+), log (\\S+)").matcher(out);
        assertThat(m.find()).as("run dir and log printed at start:%n%s", out).isTrue();
        Path run = Path.of(m.group(1));
        Path log = Path.of(m.group(2));
        assertThat(run.getParent()).as("the run's directory, under $TMPDIR").isEqualTo(tmpdir);
        assertThat(run.getFileName().toString()).startsWith("kvrelay-demo-");
        assertThat(log).as("the run's own log file").isEqualTo(run.resolve("demo.log"));
        assertThat(Files.readString(log)).as("what the run logged").contains("INFO");
        assertThat(out).contains("summary:", "log " + log);
        assertThat(run.resolve("data")).as("the broker's and stream-app's data, deleted").doesNotExist();
        assertThat(list(cwd)).as("nothing written into the working directory").isEmpty();
    }

    private static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
    }

    private static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
