package io.kvrelay.ingest.config;

/**
 * How the bridge talks to vLLM's ZeroMQ sockets. A setting left at 0 (or absent from the file) takes its default.
 *
 * @param receiveHighWaterMark  SUB receive queue bound, in messages; while the bridge is blocked (Kafka down) the
 *                              publisher drops beyond this and the bridge recovers the rest through replay
 * @param replayTimeoutMs       inactivity bound of a replay: no reply for this long ends the request (there is no
 *                              total bound: vLLM may take seconds to send a long buffer)
 * @param reconnectIntervalMs   ZeroMQ's first reconnect delay after a pod goes away
 * @param reconnectIntervalMaxMs ZeroMQ doubles the delay up to this bound (exponential backoff)
 * @param livenessTimeoutMs     a worker with no message for this long is reported as not connected
 * @param ipv6                  enable IPv6 on the sockets (vLLM pods may listen on {@code ::})
 * @param tailProbeMs           after this long without a message, ask the replay socket once for anything newer
 *                              than the last delivered batch: a drop is otherwise only noticed when the next message
 *                              arrives, which on an idle pod may be never. Negative turns it off.
 * @param handshakeIntervalMs   ZeroMQ handshake timeout; JeroMQ 0.6.0 occasionally stalls a fresh connection until
 *                              it fires (default 30 s upstream, 2 s here)
 * @param replayQuietMs         before asking again after a replay was cut or abandoned, the old reply stream must be
 *                              silent this long: vLLM serves one request at a time, so a new one would only queue
 *                              behind the loop still sending
 * @param maxWorkers            workers (pod x DP rank) this bridge runs at most; 0 derives it from the process's
 *                              file-descriptor limit (about 18 per worker); pods past it are refused, one error each
 */
public record ZmqConfig(int receiveHighWaterMark, int replayTimeoutMs, int reconnectIntervalMs,
                        int reconnectIntervalMaxMs, int livenessTimeoutMs, Boolean ipv6, int tailProbeMs,
                        int handshakeIntervalMs, int replayQuietMs, int maxWorkers) {
    public ZmqConfig {
        receiveHighWaterMark = orDefault(receiveHighWaterMark, 100_000);
        replayTimeoutMs = orDefault(replayTimeoutMs, 5_000);
        reconnectIntervalMs = orDefault(reconnectIntervalMs, 100);
        reconnectIntervalMaxMs = orDefault(reconnectIntervalMaxMs, Math.max(5_000, reconnectIntervalMs));
        livenessTimeoutMs = orDefault(livenessTimeoutMs, 10_000);
        ipv6 = ipv6 == null || ipv6;
        tailProbeMs = orDefault(tailProbeMs, 1_000);
        handshakeIntervalMs = orDefault(handshakeIntervalMs, 2_000);
        replayQuietMs = orDefault(replayQuietMs, 250);
        requirePositive("zmq.replayQuietMs", replayQuietMs);
        if (maxWorkers < 0) {
            throw new IllegalArgumentException("zmq.maxWorkers must be >= 0 (0 = from the descriptor limit), got "
                    + maxWorkers);
        }
        requirePositive("zmq.handshakeIntervalMs", handshakeIntervalMs);
        requirePositive("zmq.receiveHighWaterMark", receiveHighWaterMark);
        requirePositive("zmq.replayTimeoutMs", replayTimeoutMs);
        requirePositive("zmq.reconnectIntervalMs", reconnectIntervalMs);
        requirePositive("zmq.livenessTimeoutMs", livenessTimeoutMs);
        if (reconnectIntervalMaxMs < reconnectIntervalMs) {
            throw new IllegalArgumentException("zmq.reconnectIntervalMaxMs (" + reconnectIntervalMaxMs
                    + ") must be >= zmq.reconnectIntervalMs (" + reconnectIntervalMs + ")");
        }
    }

    /** Every setting but the replay quiet time (which takes its default). */
    public ZmqConfig(int receiveHighWaterMark, int replayTimeoutMs, int reconnectIntervalMs, int reconnectIntervalMaxMs,
                     int livenessTimeoutMs, Boolean ipv6, int tailProbeMs, int handshakeIntervalMs) {
        this(receiveHighWaterMark, replayTimeoutMs, reconnectIntervalMs, reconnectIntervalMaxMs, livenessTimeoutMs, ipv6,
                tailProbeMs, handshakeIntervalMs, 0, 0);
    }

    static int orDefault(int value, int dflt) {
        return value == 0 ? dflt : value;
    }

    static void requirePositive(String name, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be > 0, got " + value);
        }
    }

    public static ZmqConfig defaults() {
        return new ZmqConfig(0, 0, 0, 0, 0, null, 0, 0, 0, 0);
    }
}
