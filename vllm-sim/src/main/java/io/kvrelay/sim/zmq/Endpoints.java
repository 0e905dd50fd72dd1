package io.kvrelay.sim.zmq;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.zeromq.ZMQ;
import org.zeromq.ZMQException;

/** TCP endpoint strings, binding with vLLM's port rules, and finding free port ranges for tests. */
public final class Endpoints {
    // Below Linux's default ephemeral range (32768-60999), so outgoing connections rarely take our probed ports.
    private static final int PROBE_LOW = 15000;
    private static final int PROBE_HIGH = 30000;

    private Endpoints() {
    }

    public static boolean isWildcard(String host) {
        return host.equals("*") || host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]");
    }

    /** The address to bind, IPv6 literals in brackets: {@code tcp://host:port}, or {@code :*} for port 0. */
    public static String bindAddress(String host, int port) {
        return "tcp://" + bracket(host) + ":" + (port == 0 ? "*" : Integer.toString(port));
    }

    /** The address a client on this machine connects to; a wildcard bind is reached through loopback. */
    public static String connectAddress(String host, int port) {
        String h = isWildcard(host) ? "127.0.0.1" : host;
        return "tcp://" + bracket(h) + ":" + port;
    }

    /**
     * Binds {@code socket} and returns the actual port. IPv6 is enabled for IPv6 literals and for the wildcard (a
     * dual-stack bind, as vLLM's {@code tcp://*} gets); if the host has no IPv6 the wildcard falls back to IPv4.
     *
     * @throws ZMQException when the port is taken (error code {@code EADDRINUSE})
     */
    public static int bind(ZMQ.Socket socket, String host, int port) {
        boolean v6 = host.contains(":") || host.equals("*");
        socket.setIPv6(v6);
        try {
            socket.bind(bindAddress(host, port));
        } catch (ZMQException e) {
            if (!host.equals("*") || e.getErrorCode() == zmq.ZError.EADDRINUSE) {
                throw e;
            }
            socket.setIPv6(false);
            socket.bind(bindAddress(host, port));
        }
        String last = socket.getLastEndpoint();
        return Integer.parseInt(last.substring(last.lastIndexOf(':') + 1));
    }

    /**
     * A base port such that {@code base .. base+count-1} are all free right now on {@code host} and none is in
     * {@code avoid}. vLLM offsets each data-parallel rank's port by its rank, so a pod needs a free run, not just
     * free ports. Another process can still take a port before it is bound: callers retry on EADDRINUSE.
     */
    public static int findFreeRun(String host, int count, java.util.Set<Integer> avoid) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int attempt = 0; attempt < 500; attempt++) {
            int base = random.nextInt(PROBE_LOW, PROBE_HIGH - count);
            if (runFree(host, base, count, avoid)) {
                return base;
            }
        }
        throw new IllegalStateException("no run of " + count + " free ports on " + host);
    }

    private static boolean runFree(String host, int base, int count, java.util.Set<Integer> avoid) {
        List<ServerSocket> held = new ArrayList<>(count);
        try {
            for (int p = base; p < base + count; p++) {
                if (avoid.contains(p)) {
                    return false;
                }
                ServerSocket s = new ServerSocket();
                held.add(s);
                s.setReuseAddress(true);
                InetAddress addr = isWildcard(host) ? null : InetAddress.getByName(host);
                s.bind(addr == null ? new InetSocketAddress(p) : new InetSocketAddress(addr, p));
            }
            return true;
        } catch (IOException e) {
            return false;
        } finally {
            for (ServerSocket s : held) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // probing only
                }
            }
        }
    }

    private static String bracket(String host) {
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }
}
