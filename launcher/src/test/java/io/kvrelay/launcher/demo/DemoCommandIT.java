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

    /**
     * What the jar may hold: the demo's broker and Redis, this platform's natives, no test framework, none of what a
     * running broker never loads, and fastutil cut to the classes reached (the run above uses the index, so a class
     * the cut dropped would have failed it). The size is the target for a download.
     */
    @Test
    void shouldShipOnlyWhatRuns() throws Exception {
        assertThat(JAR).isRegularFile();
        long bytes = Files.size(JAR);
        System.out.printf("launcher jar: %s, %.1f MB%n", JAR, bytes / 1e6);
        assertThat(bytes).as("kvrelay.jar size, bytes").isLessThanOrEqualTo(60_000_000L);
        try (java.util.zip.ZipFile zip = new java.util.zip.ZipFile(JAR.toFile())) {
            List<String> names = zip.stream().map(java.util.zip.ZipEntry::getName).toList();
            assertThat(names).as("JUnit, scala-reflect, log4j-core").noneMatch(n -> n.startsWith("org/junit/")
                    || n.startsWith("scala/reflect/internal/") || n.startsWith("org/apache/logging/log4j/core/"));
            assertThat(names).as("the demo's broker").contains("kafka/server/KafkaApis.class");
            long fastutil = names.stream().filter(n -> n.startsWith("it/unimi/dsi/fastutil/")).count();
            assertThat(fastutil).as("fastutil classes reached (the whole library has 3,445)")
                    .isBetween(100L, 2_000L);
        }
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
