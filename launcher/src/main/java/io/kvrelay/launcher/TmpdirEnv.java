package io.kvrelay.launcher;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The launcher's temp root honours {@code $TMPDIR}, as Unix tools do and as the docs say: the JVM itself ignores it
 * ({@code java.io.tmpdir} is /tmp on Linux whatever the environment). Every temp path of the commands (the demo's and
 * bench-routing's run directories, bench and replay output defaults, stream-app's default state dir, Redis's dir)
 * derives from {@code java.io.tmpdir}, so setting it once here, before they start, is the one place this is decided.
 */
final class TmpdirEnv {
    private TmpdirEnv() {
    }

    /** Sets {@code java.io.tmpdir} from {@code $TMPDIR} when {@link #chosen} says so. */
    static void apply() {
        String dir = chosen(System.getenv("TMPDIR"), ManagementFactory.getRuntimeMXBean().getInputArguments());
        if (dir != null) {
            System.setProperty("java.io.tmpdir", dir);
        }
    }

    /**
     * The temp root to use instead of the JVM's, or null to keep it: {@code $TMPDIR} when it names an existing
     * directory, unless {@code -Djava.io.tmpdir} was given (an explicit JVM option is the more deliberate choice).
     */
    static String chosen(String tmpdirEnv, List<String> jvmArgs) {
        if (tmpdirEnv == null || tmpdirEnv.isBlank() || !Files.isDirectory(Path.of(tmpdirEnv))) {
            return null;  // unset, or a directory that is not there: the JVM's default still works
        }
        boolean explicit = jvmArgs.stream().anyMatch(a -> a.startsWith("-Djava.io.tmpdir="));
        return explicit ? null : tmpdirEnv;
    }
}
