package io.kvrelay.bench.e2e;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * CPU time per part of the pipeline over a run: this JVM's threads grouped by name (simulator publishers, ZeroMQ I/O,
 * bridge workers, Kafka producer, ...), the broker child process, and the JVM as a whole (GC and JIT included).
 */
final class CpuSampler {
    private final ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    private final Map<Long, Long> startByThread = new LinkedHashMap<>();
    private final long startProcess;
    private final long startBroker;
    private final long startWall = System.nanoTime();

    private CpuSampler() {
        for (long id : mx.getAllThreadIds()) {
            startByThread.put(id, Math.max(0, mx.getThreadCpuTime(id)));
        }
        startProcess = processCpu(ProcessHandle.current());
        startBroker = brokerCpu();
    }

    static CpuSampler start() {
        return new CpuSampler();
    }

    record Snapshot(double wallSeconds, double processCpuSeconds, double brokerCpuSeconds, Map<String, Double> byGroup) {
    }

    /** @param finishedThreads CPU of threads that ended during the run, by group (they are gone from the MXBean) */
    Snapshot stop(Map<String, Double> finishedThreads) {
        Map<String, Double> groups = new TreeMap<>(finishedThreads);
        for (long id : mx.getAllThreadIds()) {
            ThreadInfo info = mx.getThreadInfo(id);
            long cpu = mx.getThreadCpuTime(id);
            if (info == null || cpu < 0) {
                continue;
            }
            long used = cpu - startByThread.getOrDefault(id, 0L);
            groups.merge(group(info.getThreadName()), used / 1e9, Double::sum);
        }
        return new Snapshot((System.nanoTime() - startWall) / 1e9, (processCpu(ProcessHandle.current()) - startProcess) / 1e9,
                (brokerCpu() - startBroker) / 1e9, groups);
    }

    private static String group(String thread) {
        if (thread.startsWith("sim-publisher")) {
            return "simulator publishers";
        }
        if (thread.startsWith("zmq-")) {
            return "bridge workers (recv, decode, Avro encode)";
        }
        if (thread.startsWith("reaper") || thread.startsWith("iothread") || thread.contains("ZMQ")) {
            return "ZeroMQ I/O threads (sim + bridge)";
        }
        if (thread.equals("kafka-publisher")) {
            return "bridge hand-off -> producer.send";
        }
        if (thread.startsWith("kafka-producer-network-thread")) {
            return "Kafka producer I/O (compression, network)";
        }
        if (thread.startsWith("replay")) {
            return "simulator replay";
        }
        return "other threads (" + thread.replaceAll("[-#0-9]+$", "") + ")";
    }

    private static long processCpu(ProcessHandle h) {
        return h.info().totalCpuDuration().map(java.time.Duration::toNanos).orElse(0L);
    }

    private static long brokerCpu() {
        return ProcessHandle.current().children()
                .filter(c -> c.info().arguments().map(a -> String.join(" ", a).contains("kafka.Kafka")).orElse(false))
                .mapToLong(CpuSampler::processCpu).sum();
    }
}
