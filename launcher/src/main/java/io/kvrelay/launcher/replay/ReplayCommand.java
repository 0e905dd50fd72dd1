package io.kvrelay.launcher.replay;

import io.kvrelay.schemas.AvroCodec;
import io.kvrelay.schemas.Topics;
import io.kvrelay.schemas.avro.KvEventBatch;
import io.kvrelay.stream.replay.ReplayState;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code kvrelay replay}: reads the KV event log between two instants and rebuilds every worker's cache state with
 * stream-app's own {@code EventApplier} ({@link ReplayState}), sampling it at a fixed interval of event time, and
 * reports per pod what happened (blocks stored and removed, clears, resets by reason, blocks held over time).
 */
@Command(name = "replay", mixinStandardHelpOptions = true,
        description = "Re-reads the KV event topic between two instants, rebuilds every worker's cache state with "
                + "the same code as stream-app, and writes replay.json and blocks-held.csv.")
public final class ReplayCommand implements Callable<Integer> {

    @Option(names = "--bootstrap-servers", defaultValue = "${env:KVRELAY_BOOTSTRAP_SERVERS:-localhost:9092}",
            description = "Kafka cluster (env KVRELAY_BOOTSTRAP_SERVERS; default: ${DEFAULT-VALUE})")
    String bootstrapServers;

    @Option(names = "--topic-prefix", defaultValue = Topics.DEFAULT_PREFIX,
            description = "topic prefix (default: ${DEFAULT-VALUE}): reads <prefix>.kv-events")
    String topicPrefix;

    @Option(names = "--from", description = "first instant (ISO-8601, e.g. 2026-11-22T10:00:00Z); default: the log's beginning")
    Instant from;

    @Option(names = "--to", description = "instant to stop at (exclusive); default: the log's end when the replay starts")
    Instant to;

    @Option(names = "--sample-seconds", defaultValue = "10",
            description = "seconds of event time between state samples (default: ${DEFAULT-VALUE})")
    long sampleSeconds;

    @Option(names = "--out", defaultValue = "kvrelay-replay", description = "output directory (default: ${DEFAULT-VALUE})")
    Path out;

    private final PrintStream err = System.err;

    @Override
    public Integer call() throws IOException {
        if (sampleSeconds <= 0) {
            err.println("--sample-seconds must be > 0");
            return 2;
        }
        if (from != null && to != null && !from.isBefore(to)) {
            err.println("--from must be before --to");
            return 2;
        }
        Result r = run(bootstrapServers, Topics.withPrefix(topicPrefix, (short) 1).kvEvents().name(), from, to,
                Duration.ofSeconds(sampleSeconds), out, err);
        err.printf(Locale.ROOT, "%nreplayed %d records (%d undecodable) in %.1f s: %.0f records/s; %d pods; wrote %s%n",
                r.records(), r.undecodable(), r.seconds(), r.records() / Math.max(1e-9, r.seconds()), r.pods(),
                out.toAbsolutePath());
        return 0;
    }

    /** What one replay did. */
    public record Result(long records, long undecodable, int pods, double seconds, ReplayState state) {
    }

    /** The replay itself, without the command line (tests call this). */
    public static Result run(String bootstrap, String topic, Instant from, Instant to, Duration sampleEvery, Path out,
                             PrintStream progress) throws IOException {
        long t0 = System.nanoTime();
        ReplayState state = new ReplayState(new SimpleMeterRegistry());
        ReplayReport report = new ReplayReport();
        AvroCodec<KvEventBatch> codec = AvroCodec.kvEvents();
        long[] total = {0};
        long[] seen = {0};
        long[] undecodable = {0};
        long[] nextSample = {Long.MIN_VALUE};
        long sampleMs = sampleEvery.toMillis();
        long n = new EventLogReader(bootstrap, topic).read(from, to, w -> total[0] = w.records(), rec -> {
            // Samples at every sample boundary the log's time passes, before applying the record that passes it.
            if (nextSample[0] == Long.MIN_VALUE) {
                nextSample[0] = (rec.timestamp() / sampleMs + 1) * sampleMs;
            }
            while (rec.timestamp() >= nextSample[0]) {
                report.sample(Instant.ofEpochMilli(nextSample[0]), state.index());
                nextSample[0] += sampleMs;
            }
            try {
                KvEventBatch b = codec.decode(rec.value());
                state.apply(b);
                report.batch(b);
            } catch (IOException e) {
                undecodable[0]++;
                report.undecodable();
            }
            if (++seen[0] % 10_000 == 0 || seen[0] == total[0]) {
                progress.print(bar(seen[0], total[0]));
            }
        });
        if (nextSample[0] != Long.MIN_VALUE) {
            report.sample(Instant.ofEpochMilli(nextSample[0]), state.index()); // the state at the window's end
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        Map<String, Object> run = new LinkedHashMap<>();
        run.put("topic", topic);
        run.put("from", from == null ? "beginning" : from.toString());
        run.put("to", to == null ? "end" : to.toString());
        run.put("records", n);
        run.put("seconds", seconds);
        run.put("recordsPerSecond", n / Math.max(1e-9, seconds));
        report.write(out, run);
        return new Result(n, undecodable[0], report.pods().size(), seconds, state);
    }

    private static String bar(long done, long total) {
        int width = 40;
        int filled = total == 0 ? width : (int) (width * done / total);
        return String.format(Locale.ROOT, "\r[%s%s] %d / %d records", "#".repeat(filled), " ".repeat(width - filled),
                done, total);
    }
}
