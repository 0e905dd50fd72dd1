package io.kvrelay.bench.router;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An open-loop HTTP load generator, run as its own process: requests leave on a fixed schedule whatever the answers
 * do, and each latency is measured from the request's scheduled time, so a slow server cannot hide its queueing
 * (no coordinated omission). Prints one line per rate: {@code rate=R sent=N ok=N errors=N p50=.. p99=.. max=..} (ms).
 *
 * <p>Args: {@code <url> <seconds per rate> <rate> [<rate> ...]}. Bodies: /v1/route for one of 200 users, prompts of
 * 1,024 tokens sharing a 512-token system prompt (one of 4), so the index and the links are both in the path.
 */
public final class OpenLoopLoad {
    public static void main(String[] args) throws Exception {
        URI uri = URI.create(args[0]);
        int seconds = Integer.parseInt(args[1]);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .executor(Executors.newFixedThreadPool(4)).build();
        String[] bodies = bodies();
        for (int a = 2; a < args.length; a++) {
            int rate = Integer.parseInt(args[a]);
            int total = rate * seconds;
            long[] latNanos = new long[total];
            AtomicInteger ok = new AtomicInteger();
            AtomicInteger errors = new AtomicInteger();
            CompletableFuture<?>[] all = new CompletableFuture<?>[total];
            long start = System.nanoTime() + 50_000_000L;
            double interval = 1e9 / rate;
            for (int i = 0; i < total; i++) {
                long due = start + (long) (i * interval);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                int idx = i;
                HttpRequest req = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10))
                        .POST(HttpRequest.BodyPublishers.ofString(bodies[i % bodies.length])).build();
                all[i] = http.sendAsync(req, HttpResponse.BodyHandlers.discarding()).handle((r, e) -> {
                    latNanos[idx] = System.nanoTime() - due;
                    if (e == null && r.statusCode() == 200) {
                        ok.incrementAndGet();
                    } else {
                        errors.incrementAndGet();
                    }
                    return null;
                });
            }
            CompletableFuture.allOf(all).get(60, TimeUnit.SECONDS);
            Arrays.sort(latNanos);
            System.out.printf(Locale.ROOT, "rate=%d sent=%d ok=%d errors=%d p50=%.2f p90=%.2f p99=%.2f max=%.2f%n",
                    rate, total, ok.get(), errors.get(), pct(latNanos, 0.5), pct(latNanos, 0.9),
                    pct(latNanos, 0.99), latNanos[total - 1] / 1e6);
        }
        System.exit(0);
    }

    private static double pct(long[] sorted, double p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)] / 1e6;
    }

    private static String[] bodies() {
        Random rnd = new Random(5);
        int[][] system = new int[4][512];
        for (int[] s : system) {
            for (int i = 0; i < s.length; i++) {
                s[i] = rnd.nextInt(32_000);
            }
        }
        String[] out = new String[1_000];
        for (int b = 0; b < out.length; b++) {
            StringBuilder sb = new StringBuilder("{\"namespace\":\"bench\",\"service\":\"svc\",\"userId\":\"user-")
                    .append(b % 200).append("\",\"tokens\":[");
            int[] sp = system[b % 4];
            for (int i = 0; i < 1024; i++) {
                sb.append(i == 0 ? "" : ",").append(i < 512 ? sp[i] : rnd.nextInt(32_000));
            }
            out[b] = sb.append("]}").toString();
        }
        return out;
    }
}
