package io.kvrelay.launcher.replay;

import com.fasterxml.jackson.databind.JsonNode;
import io.kvrelay.policies.whatif.Counterfactual;
import io.kvrelay.policies.whatif.PolicyOutcome;
import io.kvrelay.policies.whatif.RecordedRequest;
import io.kvrelay.policies.whatif.WhatIfSettings;
import io.kvrelay.router.scoring.CostModel;
import io.kvrelay.schemas.AvroCodec;
import io.kvrelay.schemas.KafkaClients;
import io.kvrelay.schemas.Topics;
import io.kvrelay.schemas.avro.KvEventBatch;
import io.kvrelay.schemas.avro.RouteDecision;
import io.kvrelay.stream.replay.ReplayState;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code kvrelay replay}: reads the KV event log (and the route-decisions log) between two positions, rebuilds every
 * worker's cache state with stream-app's own {@code EventApplier} ({@link ReplayState}), sampling it at a fixed
 * interval of event time, replays the recorded requests under other policies, and writes replay.json, CSV tables and
 * a self-contained report.html.
 */
@Command(name = "replay", mixinStandardHelpOptions = true,
        description = "Re-reads the KV event and route-decision topics between two positions, rebuilds every worker's "
                + "cache state with the same code as stream-app, replays the recorded requests under other routing "
                + "policies, and writes replay.json, CSV tables and report.html.")
public final class ReplayCommand implements Callable<Integer> {

    @Option(names = "--bootstrap-servers", defaultValue = "${env:KVRELAY_BOOTSTRAP_SERVERS:-localhost:9092}",
            description = "Kafka cluster (env KVRELAY_BOOTSTRAP_SERVERS; default: ${DEFAULT-VALUE})")
    String bootstrapServers;

    @Option(names = "--kafka-config", paramLabel = "FILE",
            description = "Kafka client settings, a Java properties file (security.protocol, sasl.*, ssl.*: as "
                    + "Kafka's own tools take --command-config; keeps secrets out of the command line)")
    Path kafkaConfig;

    @Option(names = "--kafka-property", paramLabel = "KEY=VALUE",
            description = "one Kafka client setting (repeatable; wins over --kafka-config)")
    Map<String, String> kafkaProperties = new LinkedHashMap<>();

    @Option(names = "--topic-prefix", defaultValue = Topics.DEFAULT_PREFIX,
            description = "topic prefix (default: ${DEFAULT-VALUE}): reads <prefix>.kv-events and <prefix>.route-decisions")
    String topicPrefix;

    @Option(names = "--from", converter = PositionConverter.class,
            description = "where to start: an instant (2026-11-22T10:00:00Z), an offset in every partition (1200) or "
                    + "per partition (0:1200,1:800); default: the log's beginning")
    LogPosition from;

    @Option(names = "--to", converter = PositionConverter.class,
            description = "where to stop (exclusive), in the same forms; default: the log's end when the replay starts."
                    + " Offsets apply to the event topic; decisions are read over the same stretch of time")
    LogPosition to;

    @Option(names = "--sample-seconds", defaultValue = "10",
            description = "seconds of event time between state samples (default: ${DEFAULT-VALUE})")
    long sampleSeconds;

    @Option(names = "--no-decisions", description = "do not read the route-decisions topic (no hit rate, no counterfactual)")
    boolean noDecisions;

    @Option(names = {"--cost", "--weights"}, converter = WeightsConverter.class, paramLabel = "NAME:KEY=VALUE,...",
            description = "an extra variant of the router's cost model for the counterfactual, e.g. "
                    + "'busy:runningMs=20,stickySlackMs=0' (keys: " + CostModel.KEYS + "; the rest keep the "
                    + "defaults); repeatable")
    List<WeightsConverter.Named> weights = List.of();

    @Option(names = "--prefill-ms-per-block", defaultValue = "2",
            description = "counterfactual model: prefill time per uncached block (default: ${DEFAULT-VALUE})")
    double prefillMsPerBlock;

    @Option(names = "--decode-ms", defaultValue = "500",
            description = "counterfactual model: time a request stays on its pod after its first token "
                    + "(default: ${DEFAULT-VALUE}; decisions do not record output lengths)")
    double decodeMs;

    // Under the temp root, not the working directory: run from a clone, a relative default wrote into the repository.
    @Option(names = "--out", defaultValue = "${java.io.tmpdir}/kvrelay-replay",
            description = "output directory (default: ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--dump-state",
            description = "also write state.csv: every worker's cache at the window's end (with --to: at that point), "
                    + "one row per block")
    boolean dumpState;

    private final PrintStream err = System.err;

    @Override
    public Integer call() throws IOException {
        ReplayJob job;
        try {
            Topics topics = Topics.withPrefix(topicPrefix, (short) 1);
            Map<String, CostModel> extra = new LinkedHashMap<>();
            weights.forEach(w -> extra.put(w.name(), w.model()));
            job = new ReplayJob(new KafkaClients(bootstrapServers, kafkaSettings()), topics.kvEvents().name(),
                    noDecisions ? null : topics.routeDecisions().name(), from, to, Duration.ofSeconds(sampleSeconds),
                    out, WhatIfSettings.defaults().withModel(prefillMsPerBlock, decodeMs).withExtraWeights(extra));
        } catch (IllegalArgumentException e) {
            err.println(e.getMessage());
            return 2;
        }
        Result r;
        try {
            r = run(job, err);
        } catch (CannotReplay e) {
            err.println(e.getMessage());
            return 1;
        }
        if (dumpState) {
            err.printf(Locale.ROOT, "%nstate.csv: %d blocks held at the window's end", StateDump.write(out,
                    r.state().index()));
        }
        err.printf(Locale.ROOT, "%nreplayed %d records (%d events, %d decisions, %d undecodable) in %.1f s: "
                        + "%.0f events/s; %d pods; wrote %s (open report.html)%n",
                r.records(), r.events(), r.decisions(), r.undecodable(), r.seconds(), r.eventsPerSecond(), r.pods(),
                out.toAbsolutePath());
        return 0;
    }

    /** --kafka-config's settings, then --kafka-property's. */
    private Map<String, String> kafkaSettings() throws IOException {
        Map<String, String> settings = new LinkedHashMap<>();
        if (kafkaConfig != null) {
            java.util.Properties p = new java.util.Properties();
            try (var in = java.nio.file.Files.newBufferedReader(kafkaConfig)) {
                p.load(in);
            }
            p.stringPropertyNames().forEach(k -> settings.put(k, p.getProperty(k)));
        }
        settings.putAll(kafkaProperties);
        return settings;
    }

    /**
     * One replay, validated.
     *
     * @param decisionsTopic null = do not read decisions
     * @param from           null = each partition's beginning
     * @param to             null = each partition's end when the replay starts
     */
    public record ReplayJob(KafkaClients kafka, String eventsTopic, String decisionsTopic, LogPosition from,
                            LogPosition to, Duration sampleEvery, Path out, WhatIfSettings whatIf) {
        public ReplayJob {
            Objects.requireNonNull(kafka, "kafka");
            Objects.requireNonNull(eventsTopic, "eventsTopic");
            Objects.requireNonNull(out, "out");
            Objects.requireNonNull(whatIf, "whatIf");
            if (sampleEvery == null || sampleEvery.toMillis() <= 0) {
                throw new IllegalArgumentException("--sample-seconds must be > 0");
            }
            if (from instanceof LogPosition.At f && to instanceof LogPosition.At t && !f.at().isBefore(t.at())) {
                throw new IllegalArgumentException("--from must be before --to");
            }
        }

        /** Events only, every default: what most tests want. */
        public static ReplayJob events(String bootstrap, String topic, LogPosition from, LogPosition to,
                                       Duration sampleEvery, Path out) {
            return new ReplayJob(KafkaClients.of(bootstrap), topic, null, from, to, sampleEvery, out,
                    WhatIfSettings.defaults());
        }

        public ReplayJob withDecisions(String topic) {
            return new ReplayJob(kafka, eventsTopic, topic, from, to, sampleEvery, out, whatIf);
        }
    }

    /**
     * The replay cannot start: Kafka does not answer, there is no such topic (a wrong prefix or cluster), or the
     * window names a partition the topic does not have. Said plainly rather than a stack trace or an empty report.
     */
    public static final class CannotReplay extends RuntimeException {
        CannotReplay(String message) {
            super(message);
        }
    }

    /** What one replay did. */
    public record Result(long records, long events, long decisions, long undecodable, int pods, double seconds,
                         ReplayState state, JsonNode report) {
        public double eventsPerSecond() {
            return events / Math.max(1e-9, seconds);
        }
    }

    /** The replay itself, without the command line (tests call this). */
    public static Result run(ReplayJob job, PrintStream progress) throws IOException {
        long t0 = System.nanoTime();
        ReplayReport report = new ReplayReport();
        ReplayState state = new ReplayState(new SimpleMeterRegistry(), report);
        AvroCodec<KvEventBatch> events = AvroCodec.kvEvents();
        AvroCodec<RouteDecision> decisions = AvroCodec.routeDecisions();
        SampleClock clock = new SampleClock(job.sampleEvery().toMillis());
        SampleClock.Sampler sampler = (atMs, seconds) -> report.sample(Instant.ofEpochMilli(atMs), seconds, state);
        long read;
        try (EventLogReader reader = new EventLogReader(job.kafka())) {
            boolean exists;
            try {
                exists = reader.exists(job.eventsTopic());
            } catch (org.apache.kafka.common.errors.TimeoutException e) {
                throw new CannotReplay("Kafka at " + job.kafka().bootstrapServers() + " did not answer: " + e.getMessage());
            }
            if (!exists) {
                throw new CannotReplay("no topic " + job.eventsTopic() + " at " + job.kafka().bootstrapServers()
                        + " (is --topic-prefix right?)");
            }
            EventLogReader.Window window;
            try {
                window = reader.window(job.eventsTopic(), job.from(), job.to());
            } catch (IllegalArgumentException e) {
                throw new CannotReplay(e.getMessage());
            }
            String decisionsTopic = job.decisionsTopic() != null && reader.exists(job.decisionsTopic())
                    ? job.decisionsTopic() : null;
            if (job.decisionsTopic() != null && decisionsTopic == null) {
                progress.println("no topic " + job.decisionsTopic() + ": no decisions to replay");
            }
            if (decisionsTopic != null) {
                window = window.plus(decisionsWindow(reader, window, decisionsTopic, job));
            }
            long total = window.records();
            long[] seen = {0};
            read = reader.read(window, rec -> {
                clock.before(rec.timestamp(), sampler);
                apply(rec, decisionsTopic, events, decisions, report, state);
                if (++seen[0] % 10_000 == 0 || seen[0] == total) {
                    progress.print(bar(seen[0], total));
                }
            });
        }
        clock.end(sampler); // the state at the window's end
        report.finish();
        WhatIfSettings whatIf = job.whatIf().withCapacities(report.peakBlocksHeld());
        List<PolicyOutcome> outcomes = Counterfactual.run(report.requests(), whatIf);
        double seconds = (System.nanoTime() - t0) / 1e9;
        ReplayReport.Counts c = report.counts();
        JsonNode json = ReplayOutput.write(job, report, c, read, seconds, whatIf, outcomes);
        return new Result(read, c.events(), c.decisionRecords(), c.undecodable(),
                (int) report.services().values().stream().mapToLong(s -> s.pods.size()).sum(), seconds, state, json);
    }

    /**
     * Decisions over the same window: an end given as an instant is the same instant; an end given as offsets of the
     * event topic becomes the time those offsets reach (decisions carry no offsets of the event topic).
     */
    private static EventLogReader.Window decisionsWindow(EventLogReader reader, EventLogReader.Window events,
                                                         String topic, ReplayJob job) {
        LogPosition from = job.from();
        LogPosition to = job.to();
        if (isOffsets(from) || isOffsets(to)) {
            Instant[] span = reader.timeBounds(events);
            if (span == null) {
                return EventLogReader.Window.empty();
            }
            from = isOffsets(from) ? new LogPosition.At(span[0]) : from;
            to = isOffsets(to) ? new LogPosition.At(span[1]) : to;
        }
        return reader.window(topic, from, to);
    }

    private static boolean isOffsets(LogPosition p) {
        return p instanceof LogPosition.Offset || p instanceof LogPosition.Offsets;
    }

    private static void apply(ConsumerRecord<byte[], byte[]> rec, String decisionsTopic,
                              AvroCodec<KvEventBatch> events, AvroCodec<RouteDecision> decisions,
                              ReplayReport report, ReplayState state) {
        boolean decision = rec.topic().equals(decisionsTopic);
        Object value;
        try {
            value = decision ? RecordedDecision.of(decisions.decode(rec.value())) : events.decode(rec.value());
        } catch (IOException | RuntimeException e) {
            // Not a record of ours, one this version cannot read, or a decision that names no service: counted and
            // the first few named, never fatal.
            report.undecodable(rec.topic() + "-" + rec.partition() + "@" + rec.offset() + ": " + e);
            return;
        }
        if (value instanceof RecordedDecision d) {
            report.decision(d.decision(), d.request(), rec.timestamp(), state);
        } else {
            KvEventBatch b = (KvEventBatch) value;
            report.beforeBatch(b, rec.timestamp());
            state.apply(b);
            report.afterBatch(b, state);
        }
    }

    /** A decision and the request it records, validated together when the record is read. */
    private record RecordedDecision(RouteDecision decision, RecordedRequest request) {
        static RecordedDecision of(RouteDecision d) {
            return new RecordedDecision(d, RecordedRequest.of(d));
        }
    }

    private static String bar(long done, long total) {
        int width = 40;
        int filled = total == 0 ? width : (int) (width * done / total);
        return String.format(Locale.ROOT, "\r[%s%s] %d / %d records", "#".repeat(filled), " ".repeat(width - filled),
                done, total);
    }

    /** picocli: a --from/--to value. */
    static final class PositionConverter implements picocli.CommandLine.ITypeConverter<LogPosition> {
        @Override
        public LogPosition convert(String value) {
            return LogPosition.parse(value);
        }
    }
}
