package io.kvrelay.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Java main class in a child JVM with this JVM's classpath, its output in a file: what a test or a harness needs to
 * kill a part with SIGKILL ({@link #kill()}: {@code Process.destroyForcibly} on Linux), as a crash or an OOM kill
 * would, and to read the CPU time it used.
 */
public final class ChildJvm implements AutoCloseable {
    private final String mainClass;
    private final Path log;
    private final Process process;

    private ChildJvm(String mainClass, Path log, Process process) {
        this.mainClass = mainClass;
        this.log = log;
        this.process = process;
    }

    /**
     * Starts {@code java <jvmArgs> -cp <this classpath> <mainClass> <args>}, stdout and stderr appended to
     * {@code log}.
     */
    public static ChildJvm start(String mainClass, List<String> jvmArgs, List<String> args, Path log) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        // Under surefire/failsafe this may be a manifest-only jar whose Class-Path lists every dependency: fine too.
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass);
        cmd.addAll(args);
        try {
            Files.createDirectories(log.toAbsolutePath().getParent());
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            return new ChildJvm(mainClass, log, p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + mainClass, e);
        }
    }

    public long pid() {
        return process.pid();
    }

    public boolean alive() {
        return process.isAlive();
    }

    public Path log() {
        return log;
    }

    /**
     * User + system CPU time the process used so far (on Linux the JDK reads utime + stime of
     * {@code /proc/<pid>/stat}); zero once it has exited or where the platform does not say.
     */
    public Duration cpuTime() {
        return process.toHandle().info().totalCpuDuration().orElse(Duration.ZERO);
    }

    /** Waits for it to end by itself: its exit code, or empty if it still runs after {@code timeout}. */
    public java.util.OptionalInt waitFor(Duration timeout) {
        return awaitExit(timeout) ? java.util.OptionalInt.of(process.exitValue()) : java.util.OptionalInt.empty();
    }

    /** SIGKILL (no shutdown hook runs, nothing is closed), then waits until it is gone. */
    public void kill() {
        process.destroyForcibly();
        awaitExit(Duration.ofSeconds(60));
    }

    /** SIGTERM (shutdown hooks run), SIGKILL after {@code grace}. */
    public void stop(Duration grace) {
        process.destroy();
        if (!awaitExit(grace)) {
            kill();
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            stop(Duration.ofSeconds(30));
        }
    }

    private boolean awaitExit(Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + mainClass + " to exit", e);
        }
    }

    /** The 1, 5 and 15 minute load averages of this machine ({@code /proc/loadavg}), or "n/a". */
    public static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "n/a";
        }
    }
}
