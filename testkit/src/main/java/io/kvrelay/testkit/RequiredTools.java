package io.kvrelay.testkit;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Programs a test needs from the machine (Debian packages that {@code .ci/run} installs: docker-compose, kcat,
 * chromium). On a developer's machine a missing one skips the test, saying what to install; in CI ({@code CI=true})
 * it fails the test: a green CI run never hides a test that did not run.
 */
public final class RequiredTools {
    private RequiredTools() {
    }

    /** The command's path on {@code PATH}, if it is there and executable. */
    public static Optional<Path> find(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path p = Path.of(dir, command);
            if (!dir.isEmpty() && Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /**
     * The command's path; if it is missing, the test is skipped (or, in CI, failed) with {@code install} as the fix.
     *
     * @param install how to get it, e.g. "apt-get install kcat"
     */
    public static Path require(String command, String install) {
        Optional<Path> p = find(command);
        if (p.isPresent()) {
            return p.get();
        }
        missing(command + " is not on PATH (" + install + ")");
        throw new AssertionError("unreachable");
    }

    /** Root, for a test that chroots or mounts; skipped without it (failed in CI, which runs as root here). */
    public static void requireRoot(String why) {
        if (!"root".equals(System.getProperty("user.name"))) {
            missing("root is needed to " + why);
        }
    }

    private static void missing(String why) {
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            Assertions.fail("CI: " + why + "; .ci/run provides it, so this machine's setup is broken");
        }
        Assumptions.abort(why);
    }
}
