package io.kvrelay.ingest.catalog;

import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every pod the fleet's bridges should subscribe to, from every source: the one answer to "which pods exist". Which
 * of them THIS bridge runs is the ownership's business, how they run the registry's.
 *
 * <p>Thread-safe; listeners are told after each change, outside the lock, on the changing thread.
 */
public final class PodCatalog {
    private static final Logger log = LoggerFactory.getLogger(PodCatalog.class);

    private final Map<PodSource, Map<String, DesiredPod>> bySource = new EnumMap<>(PodSource.class);
    private final Set<String> conflictsLogged = new HashSet<>();
    private volatile Runnable onChange = () -> { };

    public PodCatalog() {
        for (PodSource s : PodSource.values()) {
            bySource.put(s, new HashMap<>());
        }
    }

    /** Called after every change that alters what a source says. */
    public void onChange(Runnable listener) {
        this.onChange = listener;
    }

    /** Replaces everything {@code source} says (a full list: a config file, a watch's initial list). */
    public void replaceAll(PodSource source, Collection<DesiredPod> pods) {
        boolean changed;
        synchronized (this) {
            Map<String, DesiredPod> next = new HashMap<>();
            for (DesiredPod p : pods) {
                requireSource(source, p);
                next.put(p.id(), p);
            }
            changed = !next.equals(bySource.get(source));
            bySource.put(source, next);
        }
        if (changed) {
            onChange.run();
        }
    }

    public void put(DesiredPod pod) {
        boolean changed;
        synchronized (this) {
            changed = !pod.equals(bySource.get(pod.source()).put(pod.id(), pod));
        }
        if (changed) {
            onChange.run();
        }
    }

    /** @return whether the source had named the pod */
    public boolean remove(PodSource source, String podId) {
        boolean changed;
        synchronized (this) {
            changed = bySource.get(source).remove(podId) != null;
        }
        if (changed) {
            onChange.run();
        }
        return changed;
    }

    /** Every pod, by id; where sources disagree the first in {@link PodSource}'s order wins (logged once per pod). */
    public synchronized Map<String, DesiredPod> desired() {
        Map<String, DesiredPod> out = new TreeMap<>();
        for (PodSource s : PodSource.values()) {
            for (DesiredPod p : bySource.get(s).values()) {
                DesiredPod first = out.putIfAbsent(p.id(), p);
                if (first != null && !first.config().equals(p.config()) && conflictsLogged.add(p.id() + "|" + s)) {
                    log.warn("pod {} is named by {} and by {} with different settings; {} wins", p.id(),
                            first.source(), s, first.source());
                }
            }
        }
        return out;
    }

    public Optional<DesiredPod> get(String podId) {
        return Optional.ofNullable(desired().get(podId));
    }

    /** What {@code source} alone says about the pod. */
    public synchronized Optional<DesiredPod> get(PodSource source, String podId) {
        return Optional.ofNullable(bySource.get(source).get(podId));
    }

    private static void requireSource(PodSource source, DesiredPod p) {
        if (p.source() != source) {
            throw new IllegalArgumentException("pod " + p.id() + " is from " + p.source() + ", not " + source);
        }
    }
}
