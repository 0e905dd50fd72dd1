package io.kvrelay.launcher;

import io.kvrelay.http.KvrelayVersion;
import io.kvrelay.ingest.IngestBridgeMain;
import io.kvrelay.launcher.bench.BenchCommand;
import io.kvrelay.launcher.bench.trace.TraceGenCommand;
import io.kvrelay.launcher.demo.DemoCommand;
import io.kvrelay.launcher.replay.ReplayCommand;
import io.kvrelay.router.RouterMain;
import io.kvrelay.sim.SimMain;
import io.kvrelay.stream.StreamAppMain;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/**
 * {@code java -jar kvrelay.jar <command>}: the whole pipeline on embedded defaults ({@code demo}), the routing
 * benchmark on it ({@code bench-routing}) and its synthetic traces ({@code trace-gen}), or one part pointed at external Kafka, Redis and vLLM pods
 * ({@code bridge}, {@code stream}, {@code router}, {@code sim}). Wiring only.
 */
@Command(name = "kvrelay", mixinStandardHelpOptions = true, versionProvider = KvrelayVersion.class,
        description = "KV-cache-aware routing for vLLM fleets over a durable Kafka event log.",
        subcommands = {DemoCommand.class, BenchCommand.class, TraceGenCommand.class, ReplayCommand.class, IngestBridgeMain.class, StreamAppMain.class,
                RouterMain.class, SimMain.class, CommandLine.HelpCommand.class})
public final class KvrelayMain implements Runnable {

    public static void main(String[] args) {
        // Before any HTTP server class loads: without it every keep-alive response of the JDK server waits 40 ms.
        System.setProperty("sun.net.httpserver.nodelay", "true");
        // First: every temp path below and in the commands derives from java.io.tmpdir.
        TmpdirEnv.apply();
        // The demo logs to a file and keeps the console for its progress lines; the services log to the console.
        // bench-routing starts the same pipeline and keeps the console for its results in the same way.
        boolean demo = args.length > 0 && (args[0].equals("demo") || args[0].equals("bench-routing"));
        boolean help = java.util.List.of(args).stream().anyMatch(a -> a.matches("-h|--help|-V|--version"));
        if (demo && !help) {  // a help text runs nothing: no run directory left behind for it
            try {
                RunDir.prepare(args[0]);
            } catch (java.io.IOException e) {
                System.err.println(args[0] + ": cannot create its run directory under "
                        + System.getProperty("java.io.tmpdir") + ": " + e.getMessage());
                System.exit(1);
            }
        }
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", demo ? "kvrelay-demo-logback.xml" : "kvrelay-logback.xml");
        }
        System.exit(new CommandLine(new KvrelayMain()).execute(args));
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
