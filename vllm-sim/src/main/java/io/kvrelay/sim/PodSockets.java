package io.kvrelay.sim;

import io.kvrelay.sim.zmq.Endpoints;
import io.kvrelay.sim.zmq.KvEventPublisher;
import io.kvrelay.sim.zmq.PublishLog;
import io.kvrelay.sim.zmq.PublisherConfig;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.ZContext;
import org.zeromq.ZMQException;

/**
 * A pod's ZeroMQ context and port plan: resolves "0" to free runs of ports (vLLM binds base + rank, so a pod needs
 * consecutive free ports), binds every rank's publisher, and binds one again after a restart.
 */
final class PodSockets implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PodSockets.class);
    private static final int BIND_ATTEMPTS = 10;
    private static final long REBIND_WAIT_MS = 5_000;

    private final SimPodConfig config;
    private final ZContext ctx = new ZContext(1);
    private int pubBase;
    private Integer replayBase;

    PodSockets(SimPodConfig config) {
        this.config = config;
        ctx.setLinger(0);
    }

    /** Binds a publisher for every worker; probed free ports taken meanwhile by another process are re-probed. */
    void bindAll(List<SimWorker> workers) {
        boolean fixed = config.pubBasePort() != 0 && (config.replayBasePort() == null || config.replayBasePort() != 0);
        for (int attempt = 1; ; attempt++) {
            resolvePorts();
            try {
                for (SimWorker w : workers) {
                    w.attach(new KvEventPublisher(ctx, publisherConfig(w.rank()), 0, w.log()));
                }
                return;
            } catch (ZMQException e) {
                detachAll(workers);
                if (fixed || attempt == BIND_ATTEMPTS || e.getErrorCode() != zmq.ZError.EADDRINUSE) {
                    throw e;
                }
                LOG.debug("pod {}: a probed port was taken before bind, retrying", config.id());
            }
        }
    }

    /** A new publisher on the same ports, waiting for the old listener to let go of them. */
    KvEventPublisher rebind(int rank, int epoch, PublishLog log) {
        long deadline = System.currentTimeMillis() + REBIND_WAIT_MS;
        while (true) {
            try {
                return new KvEventPublisher(ctx, publisherConfig(rank), epoch, log);
            } catch (ZMQException e) {
                // The old listener closes asynchronously on the I/O thread; its port frees up shortly.
                if (e.getErrorCode() != zmq.ZError.EADDRINUSE || System.currentTimeMillis() > deadline) {
                    throw e;
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while rebinding", ie);
                }
            }
        }
    }

    void detachAll(List<SimWorker> workers) {
        for (SimWorker w : workers) {
            synchronized (w) {
                KvEventPublisher p = w.publisher();
                if (p != null) {
                    p.close();
                    w.attach(null);
                }
            }
        }
    }

    int pubBase() {
        return pubBase;
    }

    Integer replayBase() {
        return replayBase;
    }

    private void resolvePorts() {
        String host = config.host();
        int ranks = config.dpRanks();
        pubBase = config.pubBasePort() != 0 ? config.pubBasePort() : Endpoints.findFreeRun(host, ranks, Set.of());
        replayBase = config.replayBasePort();
        if (replayBase != null && replayBase == 0) {
            Set<Integer> taken = new HashSet<>();
            for (int r = 0; r < ranks; r++) {
                taken.add(pubBase + r);
            }
            replayBase = Endpoints.findFreeRun(host, ranks, taken);
        }
    }

    private PublisherConfig publisherConfig(int rank) {
        return new PublisherConfig(config.host(), pubBase, replayBase, rank, config.topic(), config.layout(),
                config.hashEncoding(), config.replyShape(), config.sndHwm(), config.replayBufferSteps(), 0,
                config.fidelity());
    }

    @Override
    public void close() {
        ctx.close();
    }
}
