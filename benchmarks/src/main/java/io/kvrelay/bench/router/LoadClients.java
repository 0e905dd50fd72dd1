package io.kvrelay.bench.router;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The two load clients the HTTP harnesses run as separate processes, and the CPU accounting around them: this JVM's
 * utime + stime per request over a client's run (CPU per request survives a noisy machine; latency does not).
 *
 * <ul>
 *   <li>{@link OpenLoopLoad}: a fixed rate, latency from each request's scheduled time (queueing included);</li>
 *   <li>Debian's {@code wrk}: closed loop, one thread, N connections that each wait for their answer, so it finds
 *       the rate the server gives them and measures latency without queueing: an outside client's view.</li>
 * </ul>
 */
final class LoadClients {
    private static final Pattern WRK_REQUESTS = Pattern.compile("^\\s*(\\d+) requests in");

    private LoadClients() {
    }

    /** What one client run cost this JVM, and the lines the client printed. */
    record Run(long requests, long cpuNanos, long wallNanos, int exit, List<String> lines) {
        double cpuMsPerRequest() {
            return requests == 0 ? Double.NaN : cpuNanos / 1e6 / requests;
        }

        double cores() {
            return cpuNanos / (double) wallNanos;
        }

        /** "0.123 ms CPU per request, 0.45 cores; loadavg ..." */
        String cpuLine() throws IOException {
            return String.format(Locale.ROOT, "%.3f ms CPU per request, %.2f cores; loadavg %s", cpuMsPerRequest(),
                    cores(), Files.readString(Path.of("/proc/loadavg")).trim());
        }
    }

    /** The open-loop generator at each of {@code rates} for {@code seconds}; its lines to System.out if shown. */
    static Run openLoop(String url, int promptTokens, int seconds, List<Integer> rates, boolean show)
            throws IOException, InterruptedException {
        return openLoop(url, List.of("-Dtokens=" + promptTokens), seconds, rates, show);
    }

    /**
     * The open-loop generator with these JVM options ({@code -Dmode=chat}, say) at each of {@code rates} for
     * {@code seconds}; {@code urls} may list several, separated by commas (see {@link OpenLoopLoad}).
     */
    static Run openLoop(String urls, List<String> options, int seconds, List<Integer> rates, boolean show)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m"));
        cmd.addAll(options);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), OpenLoopLoad.class.getName(), urls,
                String.valueOf(seconds)));
        rates.forEach(r -> cmd.add(String.valueOf(r)));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        if (!show) {
            pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        }
        long cpu0 = cpuNanos();
        long t0 = System.nanoTime();
        Process p = pb.start();
        List<String> printed = new ArrayList<>();
        if (show) {
            // Through this process's System.out, so whoever runs the harness (a test) reads them.
            try (var lines = p.inputReader().lines()) {
                lines.forEach(l -> {
                    System.out.println(l);
                    printed.add(l);
                });
            }
        }
        int exit = p.waitFor();
        long sent = (long) seconds * rates.stream().mapToInt(Integer::intValue).sum();
        return new Run(sent, cpuNanos() - cpu0, System.nanoTime() - t0, exit, printed);
    }

    /**
     * wrk with {@code connections} connections for {@code seconds}, POSTing {@link OpenLoopLoad#bodies} in turn
     * (a Lua script in {@code dir} reads them); wrk's report goes to System.out.
     */
    static Run wrk(String url, int promptTokens, int connections, int seconds, Path dir)
            throws IOException, InterruptedException {
        Path bodies = dir.resolve("bodies.jsonl");
        Files.write(bodies, List.of(OpenLoopLoad.bodies(promptTokens)));
        Path script = dir.resolve("route.lua");
        Files.writeString(script, """
                local requests = {}
                local i = 0
                init = function(args)
                  for line in io.lines(args[1]) do
                    requests[#requests + 1] = wrk.format("POST", nil, {["Content-Type"] = "application/json"}, line)
                  end
                end
                request = function()
                  i = i % #requests + 1
                  return requests[i]
                end
                """);
        long cpu0 = cpuNanos();
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder("wrk", "-t1", "-c" + connections, "-d" + seconds + "s", "--latency",
                "-s", script.toString(), url, "--", bodies.toString()).redirectErrorStream(true).start();
        long requests = 0;
        List<String> printed = new ArrayList<>();
        try (var lines = p.inputReader().lines()) {
            for (String l : (Iterable<String>) lines::iterator) {
                System.out.println(l);
                printed.add(l);
                Matcher m = WRK_REQUESTS.matcher(l);
                if (m.find()) {
                    requests = Long.parseLong(m.group(1));
                }
            }
        }
        int exit = p.waitFor();
        return new Run(requests, cpuNanos() - cpu0, System.nanoTime() - t0, requests > 0 ? exit : 1, printed);
    }

    static long cpuNanos() {
        return ProcessHandle.current().info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
    }
}
