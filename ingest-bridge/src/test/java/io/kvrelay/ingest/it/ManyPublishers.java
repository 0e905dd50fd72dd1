package io.kvrelay.ingest.it;

import io.kvrelay.sim.wire.HashEncoding;
import io.kvrelay.sim.wire.PayloadEncoder;
import io.kvrelay.sim.wire.PayloadLayout;
import io.kvrelay.sim.wire.SimEvent;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * A child process holding many bare vLLM publishers (XPUB on loopback, no replay socket), so that a thousand of them
 * and the bridge's thousand workers do not share one process's descriptor limit.
 *
 * <p>Protocol on stdin/stdout: prints {@code PORTS p1,p2,...}; on {@code GO} waits until every socket has a
 * subscriber (XPUB reports the subscription: no slow-joiner loss), publishes {@code batches} batches on each as
 * {@code [topic "", seq, payload]}, prints {@code DONE}; exits when stdin closes.
 */
public final class ManyPublishers {
    private ManyPublishers() {
    }

    public static void main(String[] args) throws Exception {
        int count = Integer.parseInt(args[0]);
        int batches = Integer.parseInt(args[1]);
        try (ZContext ctx = new ZContext(1)) {
            ctx.getContext().setMaxSockets(count + 64);
            List<ZMQ.Socket> pubs = new ArrayList<>(count);
            StringJoiner ports = new StringJoiner(",", "PORTS ", "");
            for (int i = 0; i < count; i++) {
                ZMQ.Socket pub = ctx.createSocket(SocketType.XPUB);
                pub.setLinger(0);
                pub.setSndHWM(0);
                ports.add(String.valueOf(pub.bindToRandomPort("tcp://127.0.0.1")));
                pubs.add(pub);
            }
            System.out.println(ports);
            System.out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            if (!"GO".equals(in.readLine())) {
                return;
            }
            for (ZMQ.Socket pub : pubs) {
                pub.recv(0); // the subscription message: someone listens now
            }
            PayloadEncoder encoder = new PayloadEncoder(PayloadLayout.MAP_EVENTS, HashEncoding.INT);
            byte[] topic = new byte[0];
            for (int b = 0; b < batches; b++) {
                for (int i = 0; i < count; i++) {
                    long hash = ((long) i << 32) | b;
                    byte[] payload = encoder.encode(System.currentTimeMillis() / 1000.0, 0,
                            List.of(SimEvent.Stored.gpu(new long[] {hash}, b == 0 ? null : hash - 1, new int[16], 16)));
                    ZMQ.Socket pub = pubs.get(i);
                    pub.send(topic, ZMQ.SNDMORE);
                    pub.send(seq(b), ZMQ.SNDMORE);
                    pub.send(payload, 0);
                }
            }
            System.out.println("DONE");
            System.out.flush();
            while (in.readLine() != null) {
                // hold the sockets until the test closes stdin
            }
        }
    }

    private static byte[] seq(long s) {
        byte[] b = new byte[8];
        for (int i = 7; i >= 0; i--) {
            b[i] = (byte) s;
            s >>>= 8;
        }
        return b;
    }
}
