package io.kvrelay.testkit;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Redis server for tests and the demo, on 127.0.0.1 and a port of its own, without persistence.
 *
 * <p>Prefers the system {@code redis-server} ({@code /usr/bin/redis-server}, else the first one on {@code PATH}),
 * started as a child process; falls back to the binary bundled in embedded-redis (Redis 6.2) where none is
 * installed. The system property {@value #MODE_PROPERTY} ({@code auto}, {@code system}, {@code embedded}) overrides
 * the choice of {@link #start()}, so CI can exercise the fallback on a machine that has the package.
 *
 * <p>{@link #stop()} kills the server (SIGKILL: what a crash looks like to clients) and {@link #restart()} brings a
 * fresh, empty one back on the same port. {@link #freeze()} stops the system server's process with SIGSTOP (connections
 * stay open, nothing is answered: a starved or swapping server) until {@link #thaw()}. Not thread-safe: one test
 * drives it.
 */
public final class RedisServer implements AutoCloseable {
    /** Overrides how {@link #start()} picks the server: {@code auto} (default), {@code system} or {@code embedded}. */
    public static final String MODE_PROPERTY = "kvrelay.redis.mode";

    private static final Logger log = LoggerFactory.getLogger(RedisServer.class);
    private static final String HOST = "127.0.0.1";
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(15);
    private static final Pattern VERSION = Pattern.compile("v=(\\S+)");

    /** Which server to run. */
    public enum Mode { AUTO, SYSTEM, EMBEDDED }

    private final Backend backend;
    private final int port;
    private boolean running;

    private RedisServer(Backend backend, int port) {
        this.backend = backend;
        this.port = port;
    }

    /** Starts a server on a free port, chosen as {@value #MODE_PROPERTY} says (default: system, else embedded). */
    public static RedisServer start() {
        String value = System.getProperty(MODE_PROPERTY, "auto").trim();
        Mode mode;
        try {
            mode = Mode.valueOf(value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(MODE_PROPERTY + " must be auto, system or embedded, got " + value, e);
        }
        return start(mode);
    }

    /** Starts a server of the given kind on a free port. {@code SYSTEM} fails when no binary is installed. */
    public static RedisServer start(Mode mode) {
        return start(mode, mode == Mode.EMBEDDED ? Optional.empty() : systemBinary());
    }

    /** @param binary the system redis-server, as {@link #systemBinary()} finds it (a test passes its own) */
    static RedisServer start(Mode mode, Optional<Path> binary) {
        if (mode == Mode.SYSTEM && binary.isEmpty()) {
            throw new IllegalStateException("no redis-server in /usr/bin or on PATH (apt-get install redis-server)");
        }
        int port = freePort();
        Backend backend = binary.<Backend>map(b -> new SystemBackend(b, port)).orElseGet(() -> new EmbeddedBackend(port));
        RedisServer server = new RedisServer(backend, port);
        server.startBackend();
        log.info("Redis ({}) listening on {}:{}", server.kind(), HOST, port);
        return server;
    }

    public String host() {
        return HOST;
    }

    public int port() {
        return port;
    }

    /** {@code "system 7.0.15"} or {@code "embedded"}. */
    public String kind() {
        return backend.kind();
    }

    public boolean isRunning() {
        return running;
    }

    /** The server process' id, when it runs as a child process of ours (the system server; not the embedded one). */
    public java.util.OptionalLong pid() {
        return running ? backend.pid() : java.util.OptionalLong.empty();
    }

    /**
     * Suspends the server (SIGSTOP): it keeps its connections and answers nothing until {@link #thaw()}.
     *
     * @throws UnsupportedOperationException for the embedded server, whose process id is not ours to signal
     */
    public void freeze() {
        signal("STOP");
    }

    /** Resumes a server {@link #freeze()} suspended (SIGCONT); it answers what it was sent meanwhile. */
    public void thaw() {
        signal("CONT");
    }

    private void signal(String name) {
        long pid = pid().orElseThrow(() -> new UnsupportedOperationException(
                "cannot signal the " + kind() + " Redis: no process id (use the system redis-server)"));
        try {
            Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid)).redirectErrorStream(true).start();
            String out = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!kill.waitFor(5, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill -" + name + " " + pid + " failed: " + out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run kill -" + name, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while signalling Redis", e);
        }
    }

    /** Kills the server: clients see their connections drop and new ones refused, until {@link #restart()}. */
    public void stop() {
        if (running) {
            running = false;
            backend.stop();
            awaitRefused();
        }
    }

    /** Starts a fresh, empty server on the same port (stopping the current one first if needed). */
    public void restart() {
        stop();
        startBackend();
    }

    @Override
    public void close() {
        stop();
        backend.cleanUp();
    }

    private void startBackend() {
        backend.start();
        running = true;
        try {
            awaitPong();
        } catch (RuntimeException e) {
            stop();
            throw e;
        }
    }

    /** Ready means answering PING, not only accepting: a server still loading answers -LOADING. */
    private void awaitPong() {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        IOException last = null;
        while (System.nanoTime() < deadline) {
            backend.checkAlive();
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(HOST, port), 200);
                s.setSoTimeout(500);
                OutputStream out = s.getOutputStream();
                out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                byte[] reply = s.getInputStream().readNBytes(7);
                if (new String(reply, StandardCharsets.US_ASCII).equals("+PONG\r\n")) {
                    return;
                }
            } catch (IOException e) {
                last = e;
            }
            sleep(10);
        }
        throw new IllegalStateException("Redis (" + kind() + ") did not answer PING on " + HOST + ":" + port
                + " within " + READY_TIMEOUT.toSeconds() + " s" + (last == null ? "" : ": " + last), last);
    }

    /**
     * The embedded server's listening socket was seen accepting (then resetting) a connection for a moment after its
     * process had been reaped, so "stopped" is measured from outside: new connections are refused.
     */
    private void awaitRefused() {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(HOST, port), 200);
            } catch (IOException refused) {
                return;
            }
            sleep(5);
        }
        throw new IllegalStateException("Redis on " + HOST + ":" + port + " still accepts connections after stop()");
    }

    static Optional<Path> systemBinary() {
        Path usual = Path.of("/usr/bin/redis-server");
        if (Files.isExecutable(usual)) {
            return Optional.of(usual);
        }
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            Path candidate = Path.of(dir, "redis-server");
            if (!dir.isEmpty() && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName(HOST))) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on " + HOST, e);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for Redis", e);
        }
    }

    private interface Backend {
        void start();

        void stop();

        /** Throws with the server's own words if it has already exited (bad flag, port taken). */
        void checkAlive();

        String kind();

        default java.util.OptionalLong pid() {
            return java.util.OptionalLong.empty();
        }

        default void cleanUp() {
        }
    }

    /** The installed redis-server as a child process, its output in a log file we can quote when it fails. */
    private static final class SystemBackend implements Backend {
        private final Path binary;
        private final int port;
        private final Path logFile;
        private final String kind;
        private Process process;
        private Thread reaper;

        SystemBackend(Path binary, int port) {
            this.binary = binary;
            this.port = port;
            try {
                this.logFile = Files.createTempFile("kvrelay-redis-" + port + "-", ".log");
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create a log file for Redis", e);
            }
            this.kind = "system " + version(binary);
        }

        @Override
        public void start() {
            List<String> cmd = List.of(binary.toString(), "--port", Integer.toString(port), "--bind", HOST,
                    "--save", "", "--appendonly", "no", "--daemonize", "no",
                    "--dir", System.getProperty("java.io.tmpdir"));
            try {
                process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(logFile.toFile()).start();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start " + binary, e);
            }
            // A JVM that dies without close() must not leave a server holding the port.
            reaper = new Thread(process::destroyForcibly, "redis-reaper-" + port);
            Runtime.getRuntime().addShutdownHook(reaper);
        }

        @Override
        public void stop() {
            process.destroyForcibly();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("redis-server on port " + port + " did not die within 10 s");
                }
                Runtime.getRuntime().removeShutdownHook(reaper);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while stopping Redis", e);
            } catch (IllegalStateException shuttingDown) {
                // the JVM is exiting: the hook runs anyway
            }
        }

        @Override
        public void checkAlive() {
            if (!process.isAlive()) {
                String log;
                try {
                    log = Files.readString(logFile);
                } catch (IOException e) {
                    log = "(no log: " + e + ")";
                }
                throw new IllegalStateException("redis-server exited with " + process.exitValue() + ": "
                        + log.substring(Math.max(0, log.length() - 2_000)));
            }
        }

        @Override
        public String kind() {
            return kind;
        }

        @Override
        public java.util.OptionalLong pid() {
            return process != null && process.isAlive() ? java.util.OptionalLong.of(process.pid())
                    : java.util.OptionalLong.empty();
        }

        @Override
        public void cleanUp() {
            try {
                Files.deleteIfExists(logFile);
            } catch (IOException e) {
                log.debug("could not remove {}", logFile, e);
            }
        }

        /** "7.0.15" from "Redis server v=7.0.15 sha=...". */
        private static String version(Path binary) {
            try {
                Process p = new ProcessBuilder(binary.toString(), "--version").redirectErrorStream(true).start();
                Matcher m = VERSION.matcher(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
                p.waitFor(5, TimeUnit.SECONDS);
                return m.find() ? m.group(1) : "unknown";
            } catch (IOException e) {
                return "unknown";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "unknown";
            }
        }
    }

    /** The redis-server 6.2 bundled in embedded-redis; its start() already waits for "Ready to accept". */
    private static final class EmbeddedBackend implements Backend {
        private final redis.embedded.RedisServer server;

        EmbeddedBackend(int port) {
            try {
                server = redis.embedded.RedisServer.newRedisServer().port(port).bind(HOST)
                        .setting("save \"\"").setting("appendonly no").onShutdownForceStop(true).build();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot prepare embedded Redis", e);
            }
        }

        @Override
        public void start() {
            unchecked("embedded Redis did not start", server::start);
        }

        @Override
        public void stop() {
            unchecked("embedded Redis did not stop", server::stop);
        }

        @Override
        public void checkAlive() {
            if (!server.isActive()) {
                throw new IllegalStateException("embedded Redis is not running");
            }
        }

        @Override
        public String kind() {
            return "embedded";
        }

        private interface IoAction {
            void run() throws IOException;
        }

        private static void unchecked(String failure, IoAction action) {
            try {
                action.run();
            } catch (IOException e) {
                throw new UncheckedIOException(failure, e);
            }
        }
    }
}
