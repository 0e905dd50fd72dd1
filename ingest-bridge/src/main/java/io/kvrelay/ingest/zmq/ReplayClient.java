package io.kvrelay.ingest.zmq;

import io.kvrelay.ingest.config.ZmqConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * Asks a vLLM replay ROUTER for every buffered batch from a sequence on, over a DEALER socket.
 *
 * <p>Request: {@code [b"", start_seq (8 bytes big-endian)]}. Replies come in two shapes, both accepted:
 * {@code [b"", seq, payload]} (before vLLM #45177) and {@code [b"", topic, seq, payload]} (after); the sequence frame
 * is 8 bytes, or 24 (sequence + 16-byte publisher id) in vLLM's snapshot variant. The end is a reply whose last frame
 * is empty or whose sequence is all {@code ff}.
 *
 * <p>How vLLM serves it shapes this class: vLLM sends every buffered batch {@code >= start} from its publishing thread,
 * through a ROUTER whose send high-water mark (1,000) drops replies and usually the end marker of a long replay, and
 * it queues a second request behind the whole send loop of the first. So a request never has a total deadline, only
 * an inactivity one; the caller stops reading when it has what it needs and the socket then becomes <em>stale</em>
 * (vLLM is still sending into it). Before the next request, {@link #settle} reads the stale socket until it goes quiet
 * (vLLM's loop is over): if the end marker came, the socket is clean and kept; if not, it is dropped and the next
 * request gets a fresh one, so a late reply to an abandoned request can never be taken for a reply to the next one.
 * Either way the next request is not queued behind a loop still running.
 *
 * <p>Owned by one subscriber thread.
 */
final class ReplayClient implements AutoCloseable {
    private static final int MAX_FRAMES = 8;

    enum Outcome {
        /** The end marker arrived. */
        END,
        /** Replies came, then none for the inactivity timeout (vLLM dropped the rest, or its loop ended unmarked). */
        QUIET,
        /** Not a single reply within the inactivity timeout (pod busy, gone, or no replay socket listening). */
        NO_ANSWER,
        /** The request could not be sent: no connection to the replay socket. */
        UNAVAILABLE,
        /** A reply had a shape vLLM never sends. */
        PROTOCOL_ERROR,
        /** The handler had what it needed; the socket is stale until {@link #settle}d. */
        STOPPED
    }

    /** One replayed batch. {@code topic} is null for replies without a topic frame; {@code publisherId} without one. */
    record Reply(String topic, long seq, byte[] publisherId, byte[] payload, List<byte[]> frames) {
    }

    /** Receives each reply in order. Returns false when it has what it needs. */
    interface Handler {
        boolean onReply(Reply reply);

        void onProtocolError(List<byte[]> frames, String problem);
    }

    private final ZContext ctx;
    private final String endpoint;
    private final ZmqConfig cfg;
    private ZMQ.Socket dealer;
    private boolean stale;
    private long requests;
    private long discarded;

    ReplayClient(ZContext ctx, String endpoint, ZmqConfig cfg) {
        this.ctx = ctx;
        this.endpoint = endpoint;
        this.cfg = cfg;
    }

    /** Requests sent over this client's life. */
    long requests() {
        return requests;
    }

    /** Replies read while settling a stale socket (vLLM's loop past what a request needed). */
    long discarded() {
        return discarded;
    }

    boolean stale() {
        return stale;
    }

    /** Opens the socket lazily: JeroMQ resolves the host in connect(), and a pod may not resolve yet. */
    private boolean open() {
        if (dealer != null) {
            return true;
        }
        ZMQ.Socket s = ctx.createSocket(SocketType.DEALER);
        try {
            s.setLinger(0);
            s.setIPv6(cfg.ipv6());
            // Queue requests only on a live connection, so an absent replay socket fails fast instead of later.
            s.setImmediate(true);
            s.setSendTimeOut(cfg.replayTimeoutMs());
            s.setReceiveTimeOut(cfg.replayTimeoutMs());
            s.setReconnectIVL(cfg.reconnectIntervalMs());
            s.setReconnectIVLMax(cfg.reconnectIntervalMaxMs());
            s.setHandshakeIvl(cfg.handshakeIntervalMs());
            // Unbounded: a long replay must not be cut at our end (vLLM's own ROUTER may still cut it at 1000).
            s.setRcvHWM(0);
            s.connect(endpoint);
        } catch (RuntimeException e) {
            ctx.destroySocket(s);
            return false;
        }
        dealer = s;
        return true;
    }

    /**
     * Sends one request and hands every reply to {@code handler} until the end marker, the handler's stop, or
     * {@link ZmqConfig#replayTimeoutMs()} without a reply. A stale socket is settled first.
     */
    Outcome request(long startSeq, Handler handler) {
        settle(cfg.replayQuietMs());
        if (!open()) {
            return Outcome.UNAVAILABLE;
        }
        byte[] seq8 = new byte[8];
        Frames.putLong(seq8, startSeq);
        if (!dealer.send(new byte[0], ZMQ.SNDMORE) || !dealer.send(seq8, 0)) {
            close();
            return Outcome.UNAVAILABLE;
        }
        requests++;
        boolean any = false;
        while (true) {
            List<byte[]> frames = receive(0);
            if (frames == null) {
                // Nothing for the whole timeout. Replies that came in while this JVM was paused are already queued
                // and would have been returned above; check once more without waiting before deciding.
                frames = receive(ZMQ.DONTWAIT);
                if (frames == null) {
                    close(); // a reply arriving later belongs to nobody
                    return any ? Outcome.QUIET : Outcome.NO_ANSWER;
                }
            }
            any = true;
            Reply reply = parse(frames, handler);
            if (reply == null) {
                close();
                return Outcome.PROTOCOL_ERROR;
            }
            if (reply == END) {
                // Nothing more is coming for this request: the socket is clean and kept for the next one (a fresh
                // connection per request costs a handshake, which JeroMQ now and then stalls for seconds).
                return Outcome.END;
            }
            if (!handler.onReply(reply)) {
                stale = true;
                return Outcome.STOPPED;
            }
        }
    }

    /**
     * Reads and drops what a stale socket still receives until nothing came for {@code quietMs} (or the end marker),
     * then drops the socket. vLLM serves one request at a time, so asking again before its loop is over would only
     * queue behind it.
     */
    void settle(int quietMs) {
        if (!stale) {
            return;
        }
        dealer.setReceiveTimeOut(quietMs);
        List<byte[]> frames;
        while ((frames = receive(0)) != null) {
            if (isEnd(frames)) {
                dealer.setReceiveTimeOut(cfg.replayTimeoutMs());
                stale = false; // the stream is over: nothing more will come on this socket
                return;
            }
            discarded++;
        }
        close();
    }

    private static boolean isEnd(List<byte[]> frames) {
        int n = frames.size();
        return n >= 3 && (frames.get(n - 1).length == 0 || Frames.isEndMarker(frames.get(n - 2)));
    }

    /** Drops, without waiting, what a stale socket has received so far (called from the live loop when idle). */
    void drainStale() {
        if (!stale) {
            return;
        }
        List<byte[]> frames;
        while ((frames = receive(ZMQ.DONTWAIT)) != null) {
            if (isEnd(frames)) {
                stale = false;
                return;
            }
            discarded++;
        }
    }

    private static final Reply END = new Reply(null, -1, null, new byte[0], List.of());

    /** The reply, {@link #END}, or null after reporting a shape vLLM never sends. */
    private static Reply parse(List<byte[]> frames, Handler handler) {
        int n = frames.size();
        if ((n != 3 && n != 4) || frames.get(0).length != 0) {
            handler.onProtocolError(frames, "expected [b\"\", (topic,) seq, payload], got " + n + " frame(s)");
            return null;
        }
        byte[] seqFrame = frames.get(n - 2);
        byte[] payload = frames.get(n - 1);
        if (payload.length == 0 || Frames.isEndMarker(seqFrame)) {
            return END;
        }
        if (!Frames.isSequenceFrame(seqFrame)) {
            handler.onProtocolError(frames, "replay seq frame has " + seqFrame.length + " bytes, expected 8 or 24");
            return null;
        }
        String topic = n == 4 ? Frames.utf8(frames.get(1)) : null;
        byte[] id = seqFrame.length == Frames.SEQ_WITH_ID ? Arrays.copyOfRange(seqFrame, 8, Frames.SEQ_WITH_ID) : null;
        return new Reply(topic, Frames.getLong(seqFrame), id, payload, frames);
    }

    private List<byte[]> receive(int flags) {
        byte[] first = dealer.recv(flags);
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
        stale = false;
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
