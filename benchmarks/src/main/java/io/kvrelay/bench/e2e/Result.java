package io.kvrelay.bench.e2e;

import java.util.Locale;
import java.util.Map;

/** One harness run's figures. */
record Result(int pods, String layout, long batches, long targetRate, int lingerMs, String compression,
              double publishSeconds, double endToEndSeconds, long recordsInKafka, double resets, double deadLetters,
              double gaps, double replayedBatches, int blocksPerBatch, double payloadBytes, CpuSampler.Snapshot cpu) {

    double batchesPerSecond() {
        return batches / endToEndSeconds;
    }

    boolean lossless() {
        return resets == 0 && deadLetters == 0 && recordsInKafka == batches;
    }

    void print() {
        System.out.printf(Locale.ROOT, "%n== ingest throughput: %d pods, %s, %d batches (%d events x %d blocks), target %s ==%n",
                pods, layout, batches, 4, blocksPerBatch / 4, targetRate <= 0 ? "unpaced" : targetRate + "/s");
        System.out.printf(Locale.ROOT, "published in        %8.2f s  (%,.0f batches/s offered)%n", publishSeconds, batches / publishSeconds);
        System.out.printf(Locale.ROOT, "all in Kafka after  %8.2f s%n", endToEndSeconds);
        System.out.printf(Locale.ROOT, "throughput          %,10.0f batches/s  %,12.0f blocks/s  (%,.0f B/payload)%n",
                batchesPerSecond(), batchesPerSecond() * blocksPerBatch, payloadBytes);
        System.out.printf(Locale.ROOT, "records in Kafka    %,10d  resets %.0f  dead letters %.0f  gaps %.0f  replayed %.0f  -> %s%n",
                recordsInKafka, resets, deadLetters, gaps, replayedBatches, lossless() ? "ZERO LOSS" : "LOSS");
        System.out.printf(Locale.ROOT, "CPU over %.1f s wall: harness JVM %.1f s (%.0f%% of 2 cores), broker %.1f s%n",
                cpu.wallSeconds(), cpu.processCpuSeconds(), 100 * cpu.processCpuSeconds() / cpu.wallSeconds() / 2,
                cpu.brokerCpuSeconds());
        double threads = cpu.byGroup().values().stream().mapToDouble(Double::doubleValue).sum();
        cpu.byGroup().entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                .filter(e -> e.getValue() > 0.05)
                .forEach(e -> System.out.printf(Locale.ROOT, "  %-48s %6.1f s  %5.1f%%  %6.2f us/batch%n", e.getKey(),
                        e.getValue(), 100 * e.getValue() / cpu.processCpuSeconds(), 1e6 * e.getValue() / batches));
        System.out.printf(Locale.ROOT, "  %-48s %6.1f s%n", "JVM (GC, JIT, not in threads above)",
                Math.max(0, cpu.processCpuSeconds() - threads));
        System.out.printf(Locale.ROOT, "  %-48s %6.1f s  %25.2f us/batch%n", "Kafka broker (child JVM)", cpu.brokerCpuSeconds(),
                1e6 * cpu.brokerCpuSeconds() / batches);
    }

    String toJson() {
        StringBuilder groups = new StringBuilder();
        cpu.byGroup().forEach((k, v) -> groups.append(groups.length() == 0 ? "" : ",")
                .append(String.format(Locale.ROOT, "\"%s\":%.3f", k.replace("\"", "'"), v)));
        return String.format(Locale.ROOT, "{\"pods\":%d,\"layout\":\"%s\",\"batches\":%d,\"targetRate\":%d,"
                        + "\"lingerMs\":%d,\"compression\":\"%s\",\"publishSeconds\":%.3f,\"endToEndSeconds\":%.3f,"
                        + "\"batchesPerSecond\":%.0f,\"blocksPerSecond\":%.0f,\"recordsInKafka\":%d,\"resets\":%.0f,"
                        + "\"deadLetters\":%.0f,\"gaps\":%.0f,\"replayedBatches\":%.0f,\"lossless\":%b,"
                        + "\"cpu\":{\"wall\":%.3f,\"process\":%.3f,\"broker\":%.3f,\"threads\":{%s}}}%n",
                pods, layout, batches, targetRate, lingerMs, compression, publishSeconds, endToEndSeconds,
                batchesPerSecond(), batchesPerSecond() * blocksPerBatch, recordsInKafka, resets, deadLetters, gaps,
                replayedBatches, lossless(), cpu.wallSeconds(), cpu.processCpuSeconds(), cpu.brokerCpuSeconds(), groups);
    }
}
