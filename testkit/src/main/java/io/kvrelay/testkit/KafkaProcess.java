package io.kvrelay.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Kafka broker (KRaft, broker + controller in one node) in a child JVM, running {@code kafka.Kafka} from the
 * Maven artifacts on this JVM's classpath, on fixed ports and a fixed data directory, so it can be stopped and
 * started again: the way to test what happens while Kafka is down.
 */
public final class KafkaProcess implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(KafkaProcess.class);

    private final Path dir;
    private final int port;
    private final Path properties;
    private Process process;

    private KafkaProcess(Path dir, int port, Path properties) {
        this.dir = dir;
        this.port = port;
        this.properties = properties;
    }

    /** Formats {@code dir} (if new) and starts a broker on {@code port}; a free port when 0. */
    public static KafkaProcess start(Path dir, int port) {
        return start(dir, port, null);
    }

    /**
     * A user of a broker that takes SASL/PLAIN only ({@link #startSasl}): no client reaches it without these, which is
     * what a test of "every part works against a secured cluster" needs.
     */
    public record SaslUser(String username, String password) {
        public SaslUser {
            if (!username.matches("[A-Za-z0-9_-]+") || !password.matches("[A-Za-z0-9_-]+")) {
                throw new IllegalArgumentException("user and password: letters, digits, '-' and '_' (JAAS quoting)");
            }
        }

        /** The client settings that log in as this user. */
        public Map<String, String> clientProperties() {
            return Map.of("security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "PLAIN", "sasl.jaas.config",
                    "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + username
                            + "\" password=\"" + password + "\";");
        }
    }

    /** A broker whose client listener takes SASL/PLAIN (over plaintext) for {@code user} only. */
    public static KafkaProcess startSasl(Path dir, SaslUser user) {
        return start(dir, 0, user);
    }

    private static KafkaProcess start(Path dir, int port, SaslUser sasl) {
        try {
            Files.createDirectories(dir);
            int brokerPort = port == 0 ? freePort() : port;
            int controllerPort = freePort();
            String client = sasl == null ? "PLAINTEXT" : "SASL_PLAINTEXT";
            List<String> lines = new java.util.ArrayList<>(List.of(
                    "process.roles=broker,controller",
                    "node.id=1",
                    "controller.quorum.bootstrap.servers=localhost:" + controllerPort,
                    "listeners=" + client + "://localhost:" + brokerPort + ",CONTROLLER://localhost:" + controllerPort,
                    "advertised.listeners=" + client + "://localhost:" + brokerPort,
                    "controller.listener.names=CONTROLLER",
                    "inter.broker.listener.name=" + client,
                    "listener.security.protocol.map=CONTROLLER:PLAINTEXT," + client + ":" + client,
                    "log.dirs=" + dir.resolve("data").toAbsolutePath(),
                    "num.partitions=1",
                    "offsets.topic.replication.factor=1",
                    "offsets.topic.num.partitions=3",
                    "transaction.state.log.replication.factor=1",
                    "transaction.state.log.min.isr=1",
                    "share.coordinator.state.topic.replication.factor=1",
                    "share.coordinator.state.topic.min.isr=1",
                    "group.initial.rebalance.delay.ms=0",
                    "auto.create.topics.enable=false"));
            if (sasl != null) {
                // The broker talks to itself as "broker"; clients must be the one user given.
                lines.addAll(List.of(
                        "sasl.enabled.mechanisms=PLAIN",
                        "sasl.mechanism.inter.broker.protocol=PLAIN",
                        "listener.name.sasl_plaintext.plain.sasl.jaas.config="
                                + "org.apache.kafka.common.security.plain.PlainLoginModule required "
                                + "username=\"broker\" password=\"broker-secret\" user_broker=\"broker-secret\" "
                                + "user_" + sasl.username() + "=\"" + sasl.password() + "\";"));
            }
            lines.add("");
            Path props = dir.resolve("server.properties");
            Files.writeString(props, String.join("\n", lines));
            KafkaProcess k = new KafkaProcess(dir, brokerPort, props);
            if (!Files.exists(dir.resolve("data").resolve("meta.properties"))) {
                k.run(List.of("kafka.tools.StorageTool", "format", "--standalone", "-t", Uuid.randomUuid().toString(),
                        "-c", props.toString()), dir.resolve("format.log"), Duration.ofSeconds(180));
            }
            k.startProcess();
            return k;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare Kafka in " + dir, e);
        }
    }

    public String bootstrapServers() {
        return "localhost:" + port;
    }

    /** Starts the broker again after {@link #stop()}, same ports, same data. */
    public synchronized void startProcess() {
        if (process != null && process.isAlive()) {
            return;
        }
        long t0 = System.nanoTime();
        try {
            process = java(List.of("-Xmx512m", "kafka.Kafka", properties.toString()), dir.resolve("broker.log"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start Kafka", e);
        }
        awaitPort(Duration.ofSeconds(180)); // returns when the port opens; generous for a busy machine
        log.info("Kafka process up at {} in {} ms", bootstrapServers(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }

    /** Stops the broker (SIGTERM, then SIGKILL after 30 s). */
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process = null;
    }

    private void awaitPort(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Kafka exited with " + process.exitValue() + "; see " + dir.resolve("broker.log"));
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("localhost", port), 200);
                return;
            } catch (IOException e) {
                sleep(100);
            }
        }
        throw new IllegalStateException("Kafka did not open port " + port + " within " + timeout);
    }

    private void run(List<String> args, Path logFile, Duration timeout) throws IOException {
        Process p = java(args, logFile);
        try {
            if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(args.get(0) + " failed; see " + logFile);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static Process java(List<String> args, Path logFile) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-cp");
        // Under surefire/failsafe this may be a manifest-only jar whose Class-Path lists every dependency: fine too.
        cmd.add(System.getProperty("java.class.path"));
        cmd.addAll(args);
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(logFile.toFile()).start();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        stop();
    }
}
