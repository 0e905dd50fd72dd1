package io.kvrelay.ingest.pods;

import io.kvrelay.ingest.catalog.DesiredPod;
import io.kvrelay.ingest.catalog.PodCatalog;
import io.kvrelay.ingest.config.PodConfig;
import io.kvrelay.ingest.fleet.Ownership;
import io.kvrelay.ingest.position.RecoveredPositions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the running pods what the catalog and the ownership say: the one place that decides whether a pod's
 * workers start, end with a removal, or stop without one.
 * <ul>
 *   <li>in the catalog, owned, not running: <b>added</b>, resuming from its position in Kafka;</li>
 *   <li>running, gone from the catalog: <b>removed</b> ({@code WorkerReset(POD_REMOVED)}: consumers purge it);</li>
 *   <li>running, another incarnation or other settings in the catalog: removed, then added as new;</li>
 *   <li>running, owned by another bridge now: <b>released</b> (no record: the pod lives on, its new owner resumes).</li>
 * </ul>
 *
 * <p>Serialised: one change at a time, whichever thread asks (a watch, the admin API, the fleet's rebalance).
 */
public final class PodReconciler {
    private static final Logger log = LoggerFactory.getLogger(PodReconciler.class);

    /** What happens around a pod's start and end besides its workers (status, load scraping). */
    public interface Effects {
        /** Where each worker's last batch is; may throw (Kafka unreachable): then nothing is added. */
        RecoveredPositions recover(List<PodConfig> pods);

        void removed(PodConfig pod);

        void released(PodConfig pod);
    }

    private final PodCatalog catalog;
    private final PodRegistry registry;
    private final Effects effects;
    private final Map<String, String> incarnations = new HashMap<>();
    private final Map<String, PodConfig> refused = new HashMap<>();
    private volatile Ownership ownership = Ownership.WHOLE_FLEET;

    public PodReconciler(PodCatalog catalog, PodRegistry registry, Effects effects) {
        this.catalog = catalog;
        this.registry = registry;
        this.effects = effects;
    }

    public void ownership(Ownership ownership) {
        this.ownership = ownership;
    }

    /**
     * Brings the running pods in line.
     *
     * @throws RuntimeException when positions cannot be recovered; pods removed or released before stay so, and
     *                          the next call tries the additions again
     */
    public synchronized void reconcile() throws InterruptedException {
        Map<String, DesiredPod> desired = catalog.desired();
        for (PodRegistry.RunningPod running : registry.pods()) {
            String id = running.config().key().id();
            DesiredPod d = desired.get(id);
            if (d == null) {
                remove(id, "no longer in the catalog");
            } else if (!ownership.owns(running.config().key())) {
                release(id);
            } else if (!d.config().equals(running.config())
                    || !Objects.equals(d.incarnation(), incarnations.get(id))) {
                remove(id, d.config().equals(running.config()) ? "replaced (a new incarnation)" : "settings changed");
            }
        }
        refused.keySet().retainAll(desired.keySet());
        List<DesiredPod> toAdd = new ArrayList<>();
        for (DesiredPod d : desired.values()) {
            if (ownership.owns(d.config().key()) && registry.get(d.id()).isEmpty()
                    && !d.config().equals(refused.get(d.id()))) {
                toAdd.add(d);
            }
        }
        if (toAdd.isEmpty()) {
            return;
        }
        RecoveredPositions recovered = effects.recover(toAdd.stream().map(DesiredPod::config).toList());
        for (DesiredPod d : toAdd) {
            try {
                registry.add(d.config(), recovered);
                incarnations.put(d.id(), d.incarnation());
                refused.remove(d.id());
            } catch (PodRegistry.CapacityExceededException e) {
                // Once per pod and settings: retried when either changes, or when capacity frees up (refusals cleared).
                refused.put(d.id(), d.config());
                log.error(e.getMessage());
            }
        }
    }

    /** Stops every running pod this bridge no longer owns (a rebalance took its slot), without a removal. */
    public synchronized void releaseUnowned() throws InterruptedException {
        for (PodRegistry.RunningPod running : registry.pods()) {
            if (!ownership.owns(running.config().key())) {
                release(running.config().key().id());
            }
        }
    }

    private void remove(String id, String why) throws InterruptedException {
        log.info("pod {} {}: removing", id, why);
        incarnations.remove(id);
        registry.remove(id).ifPresent(effects::removed);
        refused.clear(); // room for a refused one, maybe
    }

    private void release(String id) throws InterruptedException {
        incarnations.remove(id);
        registry.release(id).ifPresent(effects::released);
        refused.clear();
    }
}
