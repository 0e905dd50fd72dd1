package io.kvrelay.bench.router;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvrelay.http.ErrorMapper;
import io.kvrelay.http.HttpLimits;
import io.kvrelay.http.HttpServer;
import io.kvrelay.http.Reply;
import io.kvrelay.http.Routes;
import io.kvrelay.http.frames.FramedClient;
import io.kvrelay.http.frames.FramedServer;
import io.netty.channel.EventLoopGroup;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * What the router's transport costs when the router does nothing: kvrelay's HTTP layer answering {@code /v1/route}
 * with a fixed ~70-byte answer, without reading the body ({@code --hop false}), or after one framed call to an index
 * server in this JVM that answers at once ({@code --hop true}: the router's shape, two servers, one loopback hop).
 * The same clients and bodies as {@link RouterLoadHarness}, so the two read side by side: what the router costs above
 * this floor is its own work (JSON, the decision, the decision log); what the floor costs, no router code can save.
 */
@Command(name = "transport-floor", mixinStandardHelpOptions = true,
        description = "CPU and latency of kvrelay's HTTP layer (and one framed hop) answering a fixed body")
public final class TransportFloor implements Callable<Integer> {

    @Option(names = "--hop", defaultValue = "true", arity = "1",
            description = "make one framed call per request before answering (true), or answer at once (false)")
    boolean hop;

    @Option(names = "--rates", split = ",", defaultValue = "2000", description = "requests/s")
    List<Integer> rates;

    @Option(names = "--seconds", defaultValue = "30", description = "seconds per rate (and of the wrk run)")
    int seconds;

    @Option(names = "--warmup-seconds", defaultValue = "30", description = "seconds of load first, unreported")
    int warmupSeconds;

    @Option(names = "--prompt-tokens", defaultValue = "1024", description = "tokens per body sent (not read)")
    int promptTokens;

    @Option(names = "--wrk-connections", defaultValue = "0",
            description = "after the rates, run Debian's wrk with this many connections (0: no wrk run)")
    int wrkConnections;

    public static void main(String[] args) {
        System.exit(new CommandLine(new TransportFloor()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        byte[] answer = "{\"pod\":\"pod-7\",\"reason\":\"prefix\",\"matchedBlocks\":8,\"candidates\":[]}"
                .getBytes(StandardCharsets.UTF_8);
        byte[] keys = new byte[promptTokens / 16 * Long.BYTES];
        byte[] matches = new byte[64 * 4 * Integer.BYTES];
        Path dir = Files.createTempDirectory("kvrelay-transport-floor-");
        EventLoopGroup loops = HttpServer.eventLoops("router", 0);
        try (FramedServer index = new FramedServer("index", "127.0.0.1", 0, 1, 1 << 20, 64,
                Map.of(1, request -> matches));
             FramedClient client = new FramedClient(loops, 1 << 20)) {
            Routes routes = new Routes();
            Reply reply = Reply.ok(new Reply.Bytes(answer, "application/json"));
            if (hop) {
                routes.addAsync("POST", "/v1/route", Routes.Mode.EVENT_LOOP, 0,
                        r -> client.call("127.0.0.1", index.port(), 1, keys, 1_000_000_000L).thenApply(b -> reply));
            } else {
                routes.add("POST", "/v1/route", Routes.Mode.EVENT_LOOP, 0, r -> reply);
            }
            try (HttpServer http = new HttpServer("router", "127.0.0.1", 0, loops, HttpLimits.defaults(), routes,
                    new ObjectMapper(), ErrorMapper.NONE)) {
                String url = "http://127.0.0.1:" + http.port() + "/v1/route";
                System.out.printf("HTTP %s on port %d; warm-up %d s at %d req/s, then %s req/s for %d s each%n",
                        hop ? "+ one framed hop" : "only", http.port(), warmupSeconds, rates.get(0), rates, seconds);
                LoadClients.openLoop(url, promptTokens, warmupSeconds, List.of(rates.get(0)), false);
                int exit = 0;
                for (int rate : rates) {
                    LoadClients.Run run = LoadClients.openLoop(url, promptTokens, seconds, List.of(rate), true);
                    exit |= run.exit();
                    System.out.printf("  rate=%d floor JVM (hop=%s): %s%n", rate, hop, run.cpuLine());
                }
                if (wrkConnections > 0) {
                    LoadClients.Run run = LoadClients.wrk(url, promptTokens, wrkConnections, seconds, dir);
                    exit |= run.exit();
                    System.out.printf("  wrk -c%d floor JVM (hop=%s): %s%n", wrkConnections, hop, run.cpuLine());
                }
                return exit;
            }
        } finally {
            loops.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
            try (var walk = Files.walk(dir)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }
}
