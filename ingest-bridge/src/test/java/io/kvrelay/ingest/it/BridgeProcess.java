package io.kvrelay.ingest.it;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvrelay.ingest.IngestBridgeMain;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The bridge as an operator runs it: its own JVM, started from a JSON config file, stopped with SIGTERM or killed
 * with SIGKILL, frozen with SIGSTOP. Its log goes to a file next to the config.
 */
final class BridgeProcess implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final Path config;
    private final Path logFile;
    private final int adminPort;
    private Process process;

    BridgeProcess(Path dir, String bootstrap, String prefix, List<Map<String, Object>> pods) throws IOException {
        this(dir, bootstrap, prefix, pods, "bridge-it", Map.of());
    }

    /** @param extra more settings of the config file (e.g. {@code fleet}) */
    BridgeProcess(Path dir, String bootstrap, String prefix, List<Map<String, Object>> pods, String instanceId,
                  Map<String, Object> extra) throws IOException {
        this.adminPort = freePort();
        Files.createDirectories(dir);
        this.config = dir.resolve("bridge.json");
        this.logFile = dir.resolve("bridge.log");
        Map<String, Object> cfg = new java.util.LinkedHashMap<>(Map.of(
                "instanceId", instanceId,
                "kafka", Map.of("bootstrapServers", bootstrap, "topicPrefix", prefix),
                "zmq", Map.of("replayTimeoutMs", 5_000),
                "admin", Map.of("host", "127.0.0.1", "port", adminPort),
                "handoffCapacity", 1_024,
                "statusIntervalMs", 1_000,
                "pods", pods));
        cfg.putAll(extra);
        new ObjectMapper().writeValue(config.toFile(), cfg);
    }

    static Map<String, Object> pod(String name, int pubPort, Integer replayPort) {
        return replayPort == null
                ? Map.of("namespace", "it", "service", "svc", "pod", name, "host", "127.0.0.1", "pubPort", pubPort)
                : Map.of("namespace", "it", "service", "svc", "pod", name, "host", "127.0.0.1", "pubPort", pubPort,
                        "replayPort", replayPort);
    }

    BridgeProcess start() throws IOException {
        process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx384m",
                "-cp", System.getProperty("java.class.path"), IngestBridgeMain.class.getName(), "-c", config.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile())).start();
        return this;
    }

    /** Waits until /health answers 200 (started, publisher alive). */
    void awaitHealthy(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("bridge exited with " + process.exitValue() + "; log:\n" + log());
            }
            try {
                if (get("/health").statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("bridge not healthy within " + timeout + "; log:\n" + log());
    }

    /** The value of a Prometheus counter on the bridge's /metrics (summed over label sets matching {@code filter}). */
    double metric(String name, String filter) throws Exception {
        double sum = 0;
        for (String line : get("/metrics").body().split("\n")) {
            if (line.startsWith(name) && (filter == null || line.contains(filter)) && !line.startsWith("#")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    /** GET {@code path} on the admin port, parsed. */
    com.fasterxml.jackson.databind.JsonNode json(String path) throws Exception {
        return new ObjectMapper().readTree(get(path).body());
    }

    boolean alive() {
        return process != null && process.isAlive();
    }

    private HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    }

    void kill9() throws InterruptedException {
        signal("KILL");
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM: the shutdown hook hands what was read to Kafka and closes the producer. */
    void stopGracefully() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("bridge did not stop within 60 s");
        }
    }

    void freeze() throws InterruptedException {
        signal("STOP");
    }

    void thaw() throws InterruptedException {
        signal("CONT");
    }

    private void signal(String sig) throws InterruptedException {
        try {
            new ProcessBuilder("kill", "-" + sig, String.valueOf(process.pid())).inheritIO().start().waitFor();
        } catch (IOException e) {
            throw new IllegalStateException("kill -" + sig + " failed", e);
        }
    }

    String log() throws IOException {
        return Files.exists(logFile) ? Files.readString(logFile) : "";
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
        }
    }
}
