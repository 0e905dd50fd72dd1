package io.kvrelay.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/** Many simulated pods started and closed together; a convenience for tests, the demo and benchmarks. */
public final class SimFleet implements AutoCloseable {
    private final List<SimPod> pods;

    private SimFleet(List<SimPod> pods) {
        this.pods = List.copyOf(pods);
    }

    /** Starts a pod per config; if one fails, the ones already started are closed. */
    public static SimFleet start(List<SimPodConfig> configs) {
        List<SimPod> started = new ArrayList<>(configs.size());
        try {
            for (SimPodConfig c : configs) {
                started.add(SimPod.start(c));
            }
        } catch (RuntimeException e) {
            started.forEach(SimPod::close);
            throw e;
        }
        return new SimFleet(started);
    }

    /**
     * {@code count} pods named {@code pod-0 ..} on loopback with free ports, each config adjusted by
     * {@code customize} (which receives a builder with the defaults and the pod's name already set).
     */
    public static SimFleet loopback(int count, UnaryOperator<SimPodConfig.Builder> customize) {
        List<SimPodConfig> configs = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            configs.add(customize.apply(SimPodConfig.builder("pod-" + i)).build());
        }
        return start(configs);
    }

    public List<SimPod> pods() {
        return pods;
    }

    public SimPod pod(int index) {
        return pods.get(index);
    }

    /** The pod with this name, or its full id {@code namespace/service/pod}. */
    public SimPod pod(String name) {
        for (SimPod p : pods) {
            if (p.config().pod().equals(name) || p.id().equals(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("no pod named " + name);
    }

    public int size() {
        return pods.size();
    }

    @Override
    public void close() {
        for (SimPod p : pods) {
            p.close();
        }
    }
}
