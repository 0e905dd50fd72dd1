package io.kvrelay.launcher.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvrelay.http.KvrelayVersion;
import io.kvrelay.testkit.RequiredTools;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The container images the build made (Jib's tarballs, {@code <module>/target/<image>-image.tar}; this runs after
 * every part's {@code package}): each is unpacked layer by layer and checked for what it must not carry (the test
 * broker, Scala, JUnit, testkit in a service image; another platform's natives in any), its size is printed (CI's log
 * keeps them), and it is run: the image's own entrypoint and environment in a chroot of its files, as its user, with
 * {@code --help} and {@code --version} (the build's), so the runtime, the classpath and the main class are proved
 * together. No container engine exists
 * here; a chroot with /proc is what a container adds that a JVM needs.
 */
class ImagesIT {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A native library of a platform other than Linux x86_64 (glibc), by the names the libraries give them. */
    private static final Pattern FOREIGN_NATIVE = Pattern.compile(
            "(?i).*(win|windows|darwin|osx|mac/|aix|freebsd|sunos|aarch64|arm|ppc|s390|riscv|loongarch|mips|i386"
                    + "|linux32|linux-386|/x86/|musl|android).*");
    private static final Pattern NATIVE = Pattern.compile("(?i).*(\\.so|\\.dll|\\.jnilib|\\.dylib|redis-server-[^/]*)$");

    @ParameterizedTest(name = "{1}")
    @CsvSource({
        "ingest-bridge, ingest-bridge, true, Usage: ingest-bridge",
        "stream-app, stream-app, true, Usage: kvrelay-stream",
        "router-api, router, true, Usage: kvrelay-router",
        "vllm-sim, vllm-sim, true, Usage: vllm-sim",
        "launcher, tools, false, Usage: kvrelay"})
    void imageCarriesOnlyItsOwnPartsAndRuns(String module, String image, boolean service, String usage,
                                            @TempDir Path dir) throws Exception {
        Path tar = ROOT.resolve(module).resolve("target").resolve(image + "-image.tar");
        assertThat(tar).as("built by jib:buildTar in package").exists();
        run(dir, "tar", "-xf", tar.toString(), "-C", dir.toString());
        JsonNode manifest = JSON.readTree(dir.resolve("manifest.json").toFile()).get(0);
        JsonNode config = JSON.readTree(dir.resolve(manifest.get("Config").asText()).toFile());
        Path rootfs = Files.createDirectory(dir.resolve("rootfs"));
        long runtimeBytes = 0;
        long ownBytes = 0;
        for (JsonNode layer : manifest.get("Layers")) {
            Path gz = dir.resolve(layer.asText());
            String listing = run(dir, "tar", "-tzf", gz.toString());
            run(dir, "tar", "-xzf", gz.toString(), "-C", rootfs.toString());
            if (listing.contains("opt/java/bin/java")) {
                runtimeBytes += Files.size(gz);
            } else {
                ownBytes += Files.size(gz);
            }
        }
        List<Path> jars = new ArrayList<>();
        try (Stream<Path> files = Files.walk(rootfs.resolve("app"))) {
            files.filter(f -> f.toString().endsWith(".jar")).forEach(jars::add);
        }
        long ownUnpacked = 0;
        try (Stream<Path> files = Files.walk(rootfs.resolve("app"))) {
            ownUnpacked = files.filter(Files::isRegularFile).mapToLong(ImagesIT::size).sum();
        }
        System.out.printf(Locale.ROOT, "image kvrelay/%s: %.1f MB (layers, compressed): runtime %.1f MB, its own %.1f MB "
                        + "(%.1f MB unpacked, %d jars)%n", image, (runtimeBytes + ownBytes) / 1e6, runtimeBytes / 1e6,
                ownBytes / 1e6, ownUnpacked / 1e6, jars.size());

        List<String> natives = new ArrayList<>();
        for (Path jar : jars) {
            String name = jar.getFileName().toString();
            if (service) {
                assertThat(name).as("a service image carries no test broker, Scala, JUnit or testkit")
                        .doesNotStartWith("kafka_2.13").doesNotStartWith("scala-").doesNotStartWith("junit")
                        .doesNotStartWith("testkit").doesNotStartWith("kafka-test-common");
            }
            try (ZipFile zip = new ZipFile(jar.toFile())) {
                zip.stream().map(e -> e.getName()).filter(n -> NATIVE.matcher(n).matches())
                        .forEach(n -> natives.add(name + "!" + n));
            }
        }
        assertThat(natives).as("natives of this platform only").noneMatch(n -> FOREIGN_NATIVE.matcher(
                n.substring(n.indexOf('!'))).matches());
        assertThat(ownUnpacked).as("the image's own content (its /app)").isLessThan(service ? 60_000_000L
                : 200_000_000L);

        assertThat(runInImage(rootfs, config.get("config"), "--help")).contains(usage);
        assertThat(runInImage(rootfs, config.get("config"), "--version"))
                .contains("kvrelay " + KvrelayVersion.current());
    }

    private static long size(Path f) {
        try {
            return Files.size(f);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The image's entrypoint + args as its user, in a chroot of its files with /proc mounted (the JVM finds its own
     * libraries through /proc/self/exe), in a mount namespace of its own so nothing stays mounted.
     */
    private static String runInImage(Path rootfs, JsonNode config, String... args) throws Exception {
        RequiredTools.require("unshare", "apt-get install util-linux");
        Path chroot = RequiredTools.require("chroot", "apt-get install coreutils");
        List<String> entry = new ArrayList<>();
        config.get("Entrypoint").forEach(e -> entry.add(e.asText()));
        entry.addAll(List.of(args));
        String user = config.path("User").asText("0");
        // The image's environment (PATH finds its java), set outside, kept by chroot, which runs the entrypoint.
        StringBuilder cmd = new StringBuilder("mount -t proc proc ").append(shellQuote(rootfs.resolve("proc").toString()))
                .append(" && exec env -i");
        config.path("Env").forEach(e -> cmd.append(' ').append(shellQuote(e.asText())));
        cmd.append(' ').append(shellQuote(chroot.toString())).append(" --userspec=").append(user).append(' ').append(shellQuote(rootfs.toString()));
        entry.forEach(e -> cmd.append(' ').append(shellQuote(e)));
        return run(rootfs, "unshare", "-m", "--fork", "sh", "-c", cmd.toString());
    }

    private static String shellQuote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    private static String run(Path dir, String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out;
        try (InputStream in = p.getInputStream()) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).as(String.join(" ", cmd)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", cmd) + "\n" + out).isZero();
        return out;
    }
}
