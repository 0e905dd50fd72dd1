package io.kvrelay.launcher.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvrelay.http.KvrelayVersion;
import io.kvrelay.testkit.KafkaBroker;
import io.kvrelay.testkit.RequiredTools;
import java.util.Map;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
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
        Unpacked img = unpack(module, image, dir);
        List<Path> jars = new ArrayList<>();
        long ownUnpacked;
        try (Stream<Path> files = Files.walk(img.rootfs().resolve("app"))) {
            List<Path> all = files.filter(Files::isRegularFile).toList();
            all.stream().filter(f -> f.toString().endsWith(".jar")).forEach(jars::add);
            ownUnpacked = all.stream().mapToLong(ImagesIT::size).sum();
        }
        System.out.printf(Locale.ROOT, "image kvrelay/%s: %.1f MB (layers, compressed): runtime %.1f MB, its own %.1f MB "
                        + "(%.1f MB unpacked, %d jars)%n", image, (img.runtimeBytes() + img.ownBytes()) / 1e6,
                img.runtimeBytes() / 1e6, img.ownBytes() / 1e6, ownUnpacked / 1e6, jars.size());

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

        assertThat(runInImage(img.rootfs(), img.config(), "--help")).contains(usage);
        assertThat(runInImage(img.rootfs(), img.config(), "--version"))
                .contains("kvrelay " + KvrelayVersion.current());
    }

    /**
     * The simulator's image serves: started as compose starts it (one pod here), its health check, the command
     * docker-compose.yml gives it (HealthProbe from the image's own classpath), passes once it listens.
     */
    @Test
    void simulatorImageServesAndPassesItsHealthCheck(@TempDir Path dir) throws Exception {
        Unpacked img = unpack("vllm-sim", "vllm-sim", dir);
        int pub;
        int serving;
        try (ServerSocket a = new ServerSocket(0); ServerSocket b = new ServerSocket(0)) {
            pub = a.getLocalPort();
            serving = b.getLocalPort();
        }
        List<String> sim = new ArrayList<>();
        img.config().get("Entrypoint").forEach(e -> sim.add(e.asText()));
        sim.addAll(List.of("--pods", "1", "--no-replay", "--base-port", String.valueOf(pub), "--serving-base-port",
                String.valueOf(serving), "--rate", "5", "--duration", "0"));
        Process p = new ProcessBuilder(inImage(img.rootfs(), img.config(), sim)).redirectErrorStream(true)
                .redirectOutput(dir.resolve("sim.log").toFile()).start();
        try {
            List<String> probe = List.of("java", "-cp", "@/app/jib-classpath-file", "io.kvrelay.http.HealthProbe",
                    "http://127.0.0.1:" + serving + "/metrics");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
            int exit;
            do {
                assertThat(p.isAlive()).as("the simulator runs: " + Files.readString(dir.resolve("sim.log")))
                        .isTrue();
                Process check = new ProcessBuilder(inImage(img.rootfs(), img.config(), probe))
                        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                assertThat(check.waitFor(120, TimeUnit.SECONDS)).isTrue();
                exit = check.exitValue();
                if (exit != 0) {
                    Thread.sleep(500);
                }
            } while (exit != 0 && System.nanoTime() < deadline);
            assertThat(exit).as("HealthProbe in the image against the simulator's serving port").isZero();
        } finally {
            // unshare ignores SIGTERM while it waits, and the JVM under chroot --userspec lost the parent-death
            // signal with its change of user: the whole tree is ended by hand.
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        }
    }

    /**
     * The bridge's image carries the Kubernetes client that kvrelay.jar leaves out: started with discovery on, against
     * an API server that is not there, it gets as far as listing pods and says why it cannot.
     */
    @Test
    void bridgeImageCarriesItsKubernetesClient(@TempDir Path dir) throws Exception {
        Unpacked img = unpack("ingest-bridge", "ingest-bridge", dir);
        Path tmp = Files.createDirectories(img.rootfs().resolve("tmp"));
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        JSON.writeValue(tmp.resolve("bridge.json").toFile(), Map.of(
                "kafka", Map.of("bootstrapServers", KafkaBroker.shared().bootstrapServers(),
                        "topicPrefix", "it-image-k8s-" + System.nanoTime()),
                "admin", Map.of("port", 0),
                "discovery", Map.of("kubernetes", Map.of("enabled", true, "namespaces", List.of("llm"),
                        "labelSelector", "app=vllm", "apiServer", "http://127.0.0.1:" + closed,
                        "startTimeoutMs", 3_000))));
        List<String> bridge = new ArrayList<>();
        img.config().get("Entrypoint").forEach(e -> bridge.add(e.asText()));
        bridge.addAll(List.of("--config", "/tmp/bridge.json"));
        Process p = new ProcessBuilder(inImage(img.rootfs(), img.config(), bridge)).redirectErrorStream(true).start();
        String out;
        try (InputStream in = p.getInputStream()) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isEqualTo(1);
        assertThat(out).contains("cannot list pods").doesNotContain("no Kubernetes client");
    }

    /** The build makes images on Linux x86_64 only (the parent pom's profile images-linux-x86_64). */
    static void assumeImagesAreBuilt() {
        boolean linuxX64 = System.getProperty("os.name").equals("Linux")
                && System.getProperty("os.arch").equals("amd64");
        org.junit.jupiter.api.Assumptions.assumeTrue(linuxX64, "images are built on Linux x86_64 only");
    }

    /** An image's files, its config, and the bytes of its runtime layer and of the rest. */
    private record Unpacked(Path rootfs, JsonNode config, long runtimeBytes, long ownBytes) {
    }

    private static Unpacked unpack(String module, String image, Path dir) throws Exception {
        assumeImagesAreBuilt();
        RequiredTools.requireRoot("unpack an image as its files' owners and chroot into it");
        Path tar = ROOT.resolve(module).resolve("target").resolve(image + "-image.tar");
        assertThat(tar).as("built by jib:buildTar in package").exists();
        run(dir, "tar", "-xf", tar.toString(), "-C", dir.toString());
        JsonNode manifest = JSON.readTree(dir.resolve("manifest.json").toFile()).get(0);
        assertThat(manifest.get("RepoTags").get(0).asText()).isEqualTo("kvrelay/" + image + ":" + KvrelayVersion.current());
        JsonNode config = JSON.readTree(dir.resolve(manifest.get("Config").asText()).toFile()).get("config");
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
        return new Unpacked(rootfs, config, runtimeBytes, ownBytes);
    }

    private static long size(Path f) {
        try {
            return Files.size(f);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The image's entrypoint + args, as a container would run it; its output once it exits (0 asserted). */
    private static String runInImage(Path rootfs, JsonNode config, String... args) throws Exception {
        List<String> entry = new ArrayList<>();
        config.get("Entrypoint").forEach(e -> entry.add(e.asText()));
        entry.addAll(List.of(args));
        return run(rootfs, inImage(rootfs, config, entry).toArray(String[]::new));
    }

    /**
     * {@code command} as the image's user with its environment, in a chroot of its files with /proc mounted (the JVM
     * finds its own libraries through /proc/self/exe), in a mount namespace of its own so nothing stays mounted.
     */
    private static List<String> inImage(Path rootfs, JsonNode config, List<String> command) {
        RequiredTools.require("unshare", "apt-get install util-linux");
        Path chroot = RequiredTools.require("chroot", "apt-get install coreutils");
        // The image's environment (PATH finds its java), set outside, kept by chroot, which runs the command.
        StringBuilder cmd = new StringBuilder("mount -t proc proc ").append(shellQuote(rootfs.resolve("proc").toString()))
                .append(" && exec env -i");
        config.path("Env").forEach(e -> cmd.append(' ').append(shellQuote(e.asText())));
        cmd.append(' ').append(shellQuote(chroot.toString())).append(" --userspec=")
                .append(config.path("User").asText("0")).append(' ').append(shellQuote(rootfs.toString()));
        command.forEach(e -> cmd.append(' ').append(shellQuote(e)));
        return List.of("unshare", "-m", "--fork", "sh", "-c", cmd.toString());
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
