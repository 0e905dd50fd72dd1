package io.kvrelay.ingest.zmq;

import io.kvrelay.ingest.config.ZmqConfig;
import java.util.ArrayList;
import java.util.List;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * Asks a vLLM replay ROUTER for every buffered batch from a sequence on, over a DEALER socket.
 *
 * <p>Request: {@code [b"", start_seq (8 bytes big-endian)]}. Replies come in two shapes, both accepted:
 * {@code [b"", seq, payload]} (before vLLM #45177) and {@code [b"", topic, seq, payload]} (after); the end is a reply
 * whose last frame is empty or whose seq is all {@code ff}. A reply in neither shape aborts the replay.
 *
 * <p>Owned by one subscriber thread. After a timeout the socket is recreated so late replies to an abandoned
 * request can never be mistaken for replies to the next one.
 */
final class ReplayClient implements AutoCloseable {
    private static final int MAX_FRAMES = 8;

    enum Outcome {
        /** The end marker arrived. */
        COMPLETE,
        /** A reply did not come within the timeout (pod busy, gone, or no replay socket listening). */
        TIMEOUT,
        /** The request could not be sent: no connection to the replay socket. */
        UNAVAILABLE,
        /** A reply had a shape vLLM never sends. */
        PROTOCOL_ERROR,
        /** The handler asked to stop (shutting down). */
        STOPPED
    }

    /** Receives each replayed batch in order. Returns false to stop the replay. */
    interface Handler {
        boolean onBatch(String topicOrNull, long seq, byte[] payload, List<byte[]> frames);

        void onProtocolError(List<byte[]> frames, String problem);
    }

    private final ZContext ctx;
    private final String endpoint;
    private final ZmqConfig cfg;
    private ZMQ.Socket dealer;

    ReplayClient(ZContext ctx, String endpoint, ZmqConfig cfg) {
        this.ctx = ctx;
        this.endpoint = endpoint;
        this.cfg = cfg;
    }

    /** Opens the socket lazily: JeroMQ resolves the host in connect(), and a pod may not resolve yet. */
    private boolean open() {
        if (dealer != null) {
            return true;
        }
        try {
            dealer = connect();
            return true;
        } catch (RuntimeException e) {
            dealer = null;
            return false;
        }
    }

    private ZMQ.Socket connect() {
        ZMQ.Socket dealer = ctx.createSocket(SocketType.DEALER);
        dealer.setLinger(0);
        dealer.setIPv6(cfg.ipv6());
        // Queue requests only on a live connection, so an absent replay socket fails fast instead of later.
        dealer.setImmediate(true);
        dealer.setSendTimeOut(cfg.replayTimeoutMs());
        dealer.setReceiveTimeOut(cfg.replayTimeoutMs());
        dealer.setReconnectIVL(cfg.reconnectIntervalMs());
        dealer.setReconnectIVLMax(cfg.reconnectIntervalMaxMs());
        dealer.setHandshakeIvl(cfg.handshakeIntervalMs());
        // Unbounded: a long replay must not be cut at our end (vLLM's own ROUTER may still cut it at 1000).
        dealer.setRcvHWM(0);
        try {
            dealer.connect(endpoint);
        } catch (RuntimeException e) {
            ctx.destroySocket(dealer);
            throw e;
        }
        return dealer;
    }

    /** Drops the socket (and any late replies queued in it); the next replay opens a fresh one. */
    private void reopen() {
        close();
    }

    Outcome replayFrom(long startSeq, Handler handler) {
        if (!open()) {
            return Outcome.UNAVAILABLE;
        }
        byte[] seq8 = new byte[8];
        Frames.putLong(seq8, startSeq);
        if (!dealer.send(new byte[0], ZMQ.SNDMORE) || !dealer.send(seq8, 0)) {
            reopen();
            return Outcome.UNAVAILABLE;
        }
        while (true) {
            List<byte[]> frames = receive();
            if (frames == null) {
                reopen();
                return Outcome.TIMEOUT;
            }
            int n = frames.size();
            if ((n != 3 && n != 4) || frames.get(0).length != 0) {
                handler.onProtocolError(frames, "expected [b\"\", (topic,) seq, payload], got " + n + " frame(s)");
                reopen();
                return Outcome.PROTOCOL_ERROR;
            }
            byte[] seqFrame = frames.get(n - 2);
            byte[] payload = frames.get(n - 1);
            if (payload.length == 0 || Frames.isEndMarker(seqFrame)) {
                return Outcome.COMPLETE;
            }
            if (seqFrame.length != 8) {
                handler.onProtocolError(frames, "replay seq frame has " + seqFrame.length + " bytes, expected 8");
                reopen();
                return Outcome.PROTOCOL_ERROR;
            }
            String topic = n == 4 ? Frames.utf8(frames.get(1)) : null;
            if (!handler.onBatch(topic, Frames.getLong(seqFrame), payload, frames)) {
                reopen(); // the rest of the replies would otherwise arrive for the next request
                return Outcome.STOPPED;
            }
        }
    }

    private List<byte[]> receive() {
        byte[] first = dealer.recv(0);
        if (first == null) {
            return null;
        }
        List<byte[]> frames = new ArrayList<>(4);
        frames.add(first);
        while (dealer.hasReceiveMore()) {
            byte[] f = dealer.recv(0);
            if (frames.size() < MAX_FRAMES) {
                frames.add(f == null ? new byte[0] : f);
            }
        }
        return frames;
    }

    @Override
    public void close() {
        if (dealer != null) {
            ctx.destroySocket(dealer);
            dealer = null;
        }
    }

    @Override
    public String toString() {
        return "ReplayClient[" + endpoint + "]";
    }
}
