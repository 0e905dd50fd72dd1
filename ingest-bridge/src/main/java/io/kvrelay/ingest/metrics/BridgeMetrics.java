package io.kvrelay.ingest.metrics;

import io.kvrelay.http.MetricsRegistries;
import io.kvrelay.schemas.avro.DeadLetterKind;
import io.kvrelay.schemas.avro.EventOrigin;
import io.kvrelay.schemas.avro.WorkerResetReason;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Every meter of the bridge, created once so the hot path only increments. Names are Prometheus-style
 * ({@code kvrelay_bridge_*}); see docs/metrics in the README.
 *
 * <p>Thread-safe.
 */
public final class BridgeMetrics {
    private final PrometheusMeterRegistry registry;
    private final Map<EventOrigin, Counter> batches = new EnumMap<>(EventOrigin.class);
    private final Map<WorkerResetReason, Counter> resets = new EnumMap<>(WorkerResetReason.class);
    private final Map<DeadLetterKind, Counter> deadLetters = new EnumMap<>(DeadLetterKind.class);
    private final Counter events;
    private final Counter blocksStored;
    private final Counter blocksRemoved;
    private final Counter cleared;
    private final Counter unknownEvents;
    private final Counter decodeErrors;
    private final Counter gaps;
    private final Counter replaysComplete;
    private final Counter replaysFailed;
    private final Counter duplicates;
    private final Counter produceErrors;
    private final Counter produceOvertaken;
    private final Counter statusSkipped;
    private final Counter rankMismatches;
    private final Counter workerFailures;
    private final Counter shutdownDrops;
    private final Timer produceLatency;
    private final DistributionSummary replayRequestsPerEpisode;
    private final Counter replayRepliesDiscarded;
    private final Counter continuityProven;
    private final Counter continuityUnproven;
    private final Counter skippedFields;
    private final Counter heartbeats;
    private final Counter snapshots;
    private final Counter workersRefused;
    private final Counter discoveryUnreadable;
    private final Counter podMetricsScrapes;
    private final Counter podMetricsMalformedLines;
    // Tagged by reason / field; few values, created on first use (scrapes are once per pod and interval, not hot).
    private final Map<String, Counter> podMetricsFailures = new ConcurrentHashMap<>();
    private final Map<String, Counter> podMetricsMissing = new ConcurrentHashMap<>();

    public BridgeMetrics() {
        this.registry = MetricsRegistries.prometheus();
        for (EventOrigin o : EventOrigin.values()) {
            batches.put(o, Counter.builder("kvrelay.bridge.batches").description("Batches handed to Kafka")
                    .tag("origin", o.name().toLowerCase()).register(registry));
        }
        for (WorkerResetReason r : WorkerResetReason.values()) {
            resets.put(r, Counter.builder("kvrelay.bridge.worker.resets").description("WorkerReset records emitted")
                    .tag("reason", r.name().toLowerCase()).register(registry));
        }
        for (DeadLetterKind k : DeadLetterKind.values()) {
            deadLetters.put(k, Counter.builder("kvrelay.bridge.dead.letters").description("Messages dead-lettered")
                    .tag("kind", k.name().toLowerCase()).register(registry));
        }
        events = counter("kvrelay.bridge.events", "Decoded KV events");
        blocksStored = counter("kvrelay.bridge.blocks.stored", "Blocks in BlockStored events");
        blocksRemoved = counter("kvrelay.bridge.blocks.removed", "Blocks in BlockRemoved events");
        cleared = counter("kvrelay.bridge.all.blocks.cleared", "AllBlocksCleared events");
        unknownEvents = counter("kvrelay.bridge.events.unknown", "Events of unknown type, skipped");
        decodeErrors = counter("kvrelay.bridge.decode.errors", "Payloads that failed to decode");
        gaps = counter("kvrelay.bridge.gaps", "Sequence gaps detected");
        replaysComplete = counter("kvrelay.bridge.replays.complete", "Replays that recovered the whole gap");
        replaysFailed = counter("kvrelay.bridge.replays.failed", "Replays that could not recover the whole gap");
        duplicates = counter("kvrelay.bridge.duplicates", "Batches dropped as already delivered");
        produceErrors = counter("kvrelay.bridge.produce.errors", "Records Kafka refused for good");
        produceOvertaken = counter("kvrelay.bridge.produce.overtaken",
                "Acknowledgements that overtook an earlier record of the same pod (KAFKA-15591's signature)");
        statusSkipped = counter("kvrelay.bridge.status.skipped", "Pod-status records skipped because the hand-off was full");
        rankMismatches = counter("kvrelay.bridge.rank.mismatches", "Batches whose envelope rank differs from the port's rank");
        workerFailures = counter("kvrelay.bridge.worker.failures", "Unexpected worker errors (sockets rebuilt)");
        shutdownDrops = counter("kvrelay.bridge.shutdown.dropped", "Batches read but not handed to Kafka because the bridge stopped");
        podMetricsScrapes = counter("kvrelay.bridge.pod.metrics.scrapes", "Successful scrapes of pods' vLLM metrics");
        podMetricsMalformedLines = counter("kvrelay.bridge.pod.metrics.malformed.lines",
                "Lines of pods' metrics pages that are not Prometheus text, skipped");
        replayRequestsPerEpisode = DistributionSummary.builder("kvrelay.bridge.replay.requests")
                .description("Replay requests sent to recover one gap or answer one probe (more than one: the reply"
                        + " stream was cut, e.g. by vLLM's send high-water mark)")
                .register(registry);
        replayRepliesDiscarded = counter("kvrelay.bridge.replay.replies.discarded",
                "Replay replies read past what a request needed (vLLM sends its whole buffer from the start)");
        continuityProven = counter("kvrelay.bridge.continuity.proven",
                "Replays that proved the publisher is the same (the replayed last batch has the delivered bytes)");
        continuityUnproven = counter("kvrelay.bridge.continuity.unproven",
                "Times continuity could not be proven after a reconnection or gap (a reset followed)");
        skippedFields = counter("kvrelay.bridge.fields.skipped",
                "Optional event fields of an unexpected type, skipped (the batch was delivered)");
        heartbeats = counter("kvrelay.bridge.heartbeats",
                "Empty batches of publishers with an incarnation id (snapshot variant heartbeats), not written to Kafka");
        snapshots = counter("kvrelay.bridge.snapshots",
                "Batches that look like a cache snapshot (AllBlocksCleared, then stores without token ids)");
        discoveryUnreadable = counter("kvrelay.bridge.discovery.unreadable",
                "Kubernetes pods matching the selector that could not be read as vLLM pods (see the log)");
        workersRefused = counter("kvrelay.bridge.workers.refused",
                "Workers (pod x DP rank) refused because the bridge is at its capacity");
        produceLatency = Timer.builder("kvrelay.bridge.produce.latency")
                .description("From hand-off to Kafka acknowledgement").publishPercentiles(0.5, 0.99)
                .register(registry);
    }

    private Counter counter(String name, String description) {
        return Counter.builder(name).description(description).register(registry);
    }

    public void gaugeHandoffDepth(Supplier<Number> depth) {
        Gauge.builder("kvrelay.bridge.handoff.depth", depth).description("Records waiting for the Kafka producer")
                .register(registry);
    }

    public void gaugeProduceStuck(Supplier<Number> count) {
        Gauge.builder("kvrelay.bridge.produce.stuck", count)
                .description("Records in flight that a later record of their pod overtook: possibly never delivered")
                .register(registry);
    }

    public void produceOvertaken() {
        produceOvertaken.increment();
    }

    public void gaugeWorkers(Supplier<Number> count) {
        Gauge.builder("kvrelay.bridge.workers", count).description("Subscribed workers (pod x DP rank)")
                .register(registry);
    }

    /** Pods the catalog names (every source), and how many this bridge runs. */
    public void gaugeCatalog(Supplier<Number> known, Supplier<Number> running) {
        Gauge.builder("kvrelay.bridge.catalog.pods", known)
                .description("Pods the bridges should subscribe to (config file, admin API, Kubernetes)")
                .register(registry);
        Gauge.builder("kvrelay.bridge.pods.running", running)
                .description("Pods this bridge subscribes to now (its share of the fleet, less any it could not start)")
                .register(registry);
    }

    /** Slots of the bridge-fleet group this bridge owns (only when it shares the fleet). */
    public void gaugeFleetSlots(Supplier<Number> owned) {
        Gauge.builder("kvrelay.bridge.fleet.slots", owned)
                .description("Slots (bridge-fleet partitions) this bridge owns; pods hash to slots")
                .register(registry);
    }

    /** A Kubernetes pod matched the selector but could not be read as a vLLM pod (once per pod and problem). */
    public void discoveryUnreadable() {
        discoveryUnreadable.increment();
    }

    public void batch(EventOrigin origin, int eventCount, long stored, long removed, int clears, int unknown) {
        batches.get(origin).increment();
        events.increment(eventCount);
        if (stored > 0) {
            blocksStored.increment(stored);
        }
        if (removed > 0) {
            blocksRemoved.increment(removed);
        }
        if (clears > 0) {
            cleared.increment(clears);
        }
        if (unknown > 0) {
            unknownEvents.increment(unknown);
        }
    }

    public void reset(WorkerResetReason reason) {
        resets.get(reason).increment();
    }

    public void deadLetter(DeadLetterKind kind) {
        deadLetters.get(kind).increment();
        if (kind == DeadLetterKind.DECODE_ERROR) {
            decodeErrors.increment();
        }
    }

    public void gap() {
        gaps.increment();
    }

    public void replay(boolean complete) {
        (complete ? replaysComplete : replaysFailed).increment();
    }

    public void replayEpisode(int requests) {
        replayRequestsPerEpisode.record(requests);
    }

    public void replayRepliesDiscarded(long n) {
        if (n > 0) {
            replayRepliesDiscarded.increment(n);
        }
    }

    public void continuity(boolean proven) {
        (proven ? continuityProven : continuityUnproven).increment();
    }

    public void skippedFields(int n) {
        if (n > 0) {
            skippedFields.increment(n);
        }
    }

    public void workersRefused(int n) {
        workersRefused.increment(n);
    }

    public void heartbeat() {
        heartbeats.increment();
    }

    public void snapshot() {
        snapshots.increment();
    }

    public void duplicate() {
        duplicates.increment();
    }

    public void produceError() {
        produceErrors.increment();
    }

    public void statusSkipped() {
        statusSkipped.increment();
    }

    public void rankMismatch() {
        rankMismatches.increment();
    }

    public void workerFailure() {
        workerFailures.increment();
    }

    public void shutdownDrop() {
        shutdownDrops.increment();
    }

    public void podMetricsScraped() {
        podMetricsScrapes.increment();
    }

    /** A scrape of a pod's metrics failed; {@code reason} is one of a few fixed words (unreachable, timeout, ...). */
    public void podMetricsFailed(String reason) {
        podMetricsFailures.computeIfAbsent(reason, r -> Counter.builder("kvrelay.bridge.pod.metrics.failures")
                .description("Failed scrapes of pods' vLLM metrics").tag("reason", r).register(registry)).increment();
    }

    /** A successful scrape had no usable value for {@code field} (running, waiting, kv_usage). */
    public void podMetricMissing(String field) {
        podMetricsMissing.computeIfAbsent(field, f -> Counter.builder("kvrelay.bridge.pod.metrics.missing")
                .description("Scrapes without a usable value for a load field (absent, NaN or out of range)")
                .tag("field", f).register(registry)).increment();
    }

    public void podMetricsMalformedLines(int lines) {
        podMetricsMalformedLines.increment(lines);
    }

    public void produceLatency(long nanos) {
        produceLatency.record(nanos, TimeUnit.NANOSECONDS);
    }

    public MeterRegistry registry() {
        return registry;
    }

    public String scrape() {
        return registry.scrape();
    }

    public double count(String name, String... tags) {
        Counter c = registry.find(name).tags(tags).counter();
        return c == null ? 0 : c.count();
    }
}
