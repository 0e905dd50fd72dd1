package io.kvrelay.http;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.config.MeterFilterReply;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * Every part's metrics registry, made in one place: Prometheus exposition with the JVM and process families an
 * operator's dashboards and alerts read for any JVM service (heap and its pools, GC pauses, threads, classes, CPU,
 * open file descriptors, uptime), so each part's {@code /metrics} starts with them, next to its own.
 */
public final class MetricsRegistries {
    private MetricsRegistries() {
    }

    /**
     * Names and HELP text as Prometheus' linter ({@code promtool check metrics}) wants them, for the meters kvrelay
     * does not name itself (Kafka's clients, Micrometer's binders): times in seconds only (see {@link
     * MeterFilter#accept}), a gauge that counts things named for them ({@code connection_count} is
     * {@code connections}: {@code _count} belongs to histograms), and a HELP line for a meter its library left
     * without one. kvrelay's own meters are written that way at the source.
     */
    static final MeterFilter LINT = new MeterFilter() {
        /**
         * Times in ns or ms that no filter can rescale to seconds: Kafka's client I/O times (its io-ratio and
         * latency averages remain) and the process's CPU time in ns (process_cpu_usage remains).
         */
        @Override
        public MeterFilterReply accept(Meter.Id id) {
            boolean nanosOrMillis = id.getName().matches(".*\\.(ns|ms)(\\..*)?") || "ns".equals(id.getBaseUnit())
                    || "ms".equals(id.getBaseUnit());
            return nanosOrMillis ? MeterFilterReply.DENY : MeterFilterReply.NEUTRAL;
        }

        @Override
        public Meter.Id map(Meter.Id id) {
            String name = id.getName();
            if (id.getType() == Meter.Type.GAUGE && name.endsWith(".count")) {
                name = name.substring(0, name.length() - ".count".length()) + "s";
            }
            String unit = id.getBaseUnit();
            String description = id.getDescription() == null || id.getDescription().isBlank()
                    ? id.getName() + " (its library gives no description)" : id.getDescription();
            if (name.equals(id.getName()) && java.util.Objects.equals(unit, id.getBaseUnit())
                    && description.equals(id.getDescription())) {
                return id;
            }
            return new Meter.Id(name, Tags.of(id.getTagsAsIterable()), unit, description, id.getType());
        }
    };

    public static PrometheusMeterRegistry prometheus() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.config().meterFilter(LINT);
        new JvmMemoryMetrics().bindTo(registry);
        // Not closed: it listens to GC notifications for the registry's (the process's) life.
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        return registry;
    }
}
