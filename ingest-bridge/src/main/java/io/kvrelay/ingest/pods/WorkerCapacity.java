package io.kvrelay.ingest.pods;

import java.lang.management.ManagementFactory;

/**
 * How many workers (pod x DP rank) one bridge process can hold, and how large its ZeroMQ context must be for them.
 *
 * <p>A worker keeps three JeroMQ sockets open (SUB, the monitor's PAIR and ours), plus a DEALER once it has asked its
 * pod's replay socket (kept between requests whose reply ended cleanly), and every JeroMQ socket costs about four file
 * descriptors (a pipe and an epoll selector for its mailbox) besides its TCP connection: measured 12 per worker for
 * the three (ThousandWorkersIT, pods without replay), about 18 with the DEALER and both connections (estimated). JeroMQ's default context stops at
 * 1,024 sockets (about 340 workers), after which every new socket fails and the worker loops on errors. So the
 * context is sized for the capacity, and the capacity comes from the process's descriptor limit: a pod past it is
 * refused with one clear error and counted, instead of starting workers that cannot work.
 *
 * @param workers maximum number of workers this process runs
 */
public record WorkerCapacity(int workers) {
    /** Descriptors a worker may hold at once (its three sockets, a replay DEALER, two TCP connections). */
    static final int FDS_PER_WORKER = 18;
    /** Kept for everything else: Kafka connections, the admin server, class files, logs. */
    static final int FDS_RESERVED = 1_024;
    /** Sockets per worker when sizing the ZeroMQ context. */
    private static final int SOCKETS_PER_WORKER = 4;

    public WorkerCapacity {
        if (workers <= 0) {
            throw new IllegalArgumentException("worker capacity must be > 0, got " + workers);
        }
    }

    /** {@code configured} if > 0, else what this process's file-descriptor limit allows. */
    public static WorkerCapacity of(int configured) {
        return configured > 0 ? new WorkerCapacity(configured) : fromDescriptorLimit(maxFileDescriptors());
    }

    static WorkerCapacity fromDescriptorLimit(long maxFds) {
        long usable = Math.max(maxFds - FDS_RESERVED, FDS_PER_WORKER);
        return new WorkerCapacity((int) Math.min(Integer.MAX_VALUE / SOCKETS_PER_WORKER - 64, usable / FDS_PER_WORKER));
    }

    /** The ZeroMQ context's socket limit for this many workers (JeroMQ only allocates a slot table of this size). */
    public int contextSockets() {
        return workers * SOCKETS_PER_WORKER + 64;
    }

    private static long maxFileDescriptors() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean os) {
            return os.getMaxFileDescriptorCount();
        }
        return 1L << 20; // not a Unix: no descriptor limit to respect
    }
}
