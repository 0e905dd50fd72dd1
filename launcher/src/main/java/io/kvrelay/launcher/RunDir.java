package io.kvrelay.launcher;

import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The directory of one {@code demo} or {@code bench-routing} run, under the temp root: its log file, and a
 * {@code data} folder for the broker's and stream-app's files. Each run has its own, so runs (and users) never append
 * to one another's log; the data goes when the run ends, the log stays to be read.
 */
public final class RunDir {
    /** Logback's file appender reads this (kvrelay-demo-logback.xml). */
    public static final String LOG_PROPERTY = "kvrelay.demo.log";
    private static final String DIR_PROPERTY = "kvrelay.run.dir";

    private RunDir() {
    }

    /**
     * Creates the run's directory and points the log at a file in it. Called by the launcher's main before any logger
     * exists: logback reads the log's path once, when it starts. An explicit {@code -Dkvrelay.demo.log} is kept.
     */
    static void prepare(String command) throws IOException {
        Path dir = newDir(command);
        System.setProperty(DIR_PROPERTY, dir.toString());
        if (System.getProperty(LOG_PROPERTY) == null) {
            System.setProperty(LOG_PROPERTY, dir.resolve(command + ".log").toString());
        }
    }

    /** The run's directory: the one prepared at start-up, else (a command run from a test) a new one. */
    public static Path of(String command) throws IOException {
        String prepared = System.getProperty(DIR_PROPERTY);
        return prepared != null ? Path.of(prepared) : newDir(command);
    }

    /**
     * Under {@code java.io.tmpdir} as it is now: {@code Files.createTempDirectory(prefix)} uses the value the JVM
     * started with, before {@link TmpdirEnv} could set it from {@code $TMPDIR}.
     */
    private static Path newDir(String command) throws IOException {
        return Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "kvrelay-" + command + "-");
    }

    /** Where the run logs, for the line printed at start: the file, or the console when no file was set up. */
    public static String log() {
        return System.getProperty(LOG_PROPERTY, "the console");
    }

    /** Where the run's broker and stream-app keep their files. */
    public static Path data(Path runDir) {
        return runDir.resolve("data");
    }

    /** Deletes the run's data; the directory goes too unless something else (the log, results) is in it. */
    public static void cleanUp(Path runDir) {
        deleteTree(data(runDir));
        try {
            Files.deleteIfExists(runDir);
        } catch (DirectoryNotEmptyException e) {
            // the log or the results: kept for the user
        } catch (IOException e) {
            // best effort: it is under the temp root
        }
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort: a temp dir
        }
    }
}
