package io.kvrelay.launcher.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * Pod names, fleet indexes and hash seeds, the same in every run and the same as {@code DemoPipeline} gives its
 * pods: {@code <service>-<i>}, services in order, seed 1000 + fleet index.
 */
public record FleetLayout(List<String> services, int podsPerService) {
    public FleetLayout {
        services = List.copyOf(services);
        if (services.isEmpty() || podsPerService < 1) {
            throw new IllegalArgumentException("need at least one service and one pod per service");
        }
    }

    public static FleetLayout of(WorkloadSpec spec) {
        return new FleetLayout(spec.services(), spec.podsPerService());
    }

    public int pods() {
        return services.size() * podsPerService;
    }

    public String podName(int fleetIndex) {
        return services.get(fleetIndex / podsPerService) + "-" + fleetIndex % podsPerService;
    }

    public long hashSeed(int fleetIndex) {
        return 1000L + fleetIndex;
    }

    /** Fleet index of the first pod of {@code service}. */
    public int firstPod(String service) {
        int s = services.indexOf(service);
        if (s < 0) {
            throw new IllegalArgumentException("unknown service " + service);
        }
        return s * podsPerService;
    }

    /** Fleet index of the pod with this name. */
    public int indexOf(String podName) {
        int dash = podName.lastIndexOf('-');
        if (dash < 0) {
            throw new IllegalArgumentException("not a pod name of this fleet: " + podName);
        }
        int i = Integer.parseInt(podName.substring(dash + 1));
        if (i >= podsPerService) {
            throw new IllegalArgumentException("not a pod name of this fleet: " + podName);
        }
        return firstPod(podName.substring(0, dash)) + i;
    }

    /** Service index of each fleet index, for per-service aggregation. */
    public int[] serviceOfPod() {
        int[] out = new int[pods()];
        for (int i = 0; i < out.length; i++) {
            out[i] = i / podsPerService;
        }
        return out;
    }

    public List<Integer> podsOf(String service) {
        List<Integer> out = new ArrayList<>(podsPerService);
        int first = firstPod(service);
        for (int i = 0; i < podsPerService; i++) {
            out.add(first + i);
        }
        return out;
    }
}
