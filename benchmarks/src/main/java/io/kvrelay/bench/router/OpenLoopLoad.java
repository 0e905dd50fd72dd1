package io.kvrelay.bench.router;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

/**
 * An open-loop HTTP/1.1 load generator, run as its own process: requests leave on a fixed schedule whatever the
 * answers do, and each latency is measured from the request's scheduled time, so a slow server cannot hide its
 * queueing (no coordinated omission). Prints one line per rate: {@code rate=R sent=N ok=N errors=N p50=.. p99=..
 * max=..} (ms).
 *
 * <p>One thread, one selector, keep-alive connections opened as needed (up to {@value #MAX_CONNECTIONS}), requests
 * pre-encoded: on a 2-core machine the generator shares the CPU with what it measures, so it must cost little (the
 * JDK HttpClient it replaces used about 0.6 ms of CPU per request, more than the router).
 *
 * <p>Args: {@code <url> <seconds per rate> <rate> [<rate> ...]}; the system property {@code tokens} sets the prompt
 * length (default 1,024 tokens = 64 blocks of 16). Bodies: /v1/route for one of 200 users, prompts sharing a
 * 512-token system prompt (one of 4), so the index and the links are both in the path.
 */
public final class OpenLoopLoad {
    private static final int MAX_CONNECTIONS = 512;
    private static final int PROMPT_TOKENS = Integer.getInteger("tokens", 1024);
    private static final long TIMEOUT_NANOS = 10_000_000_000L;

    private final InetSocketAddress target;
    private final byte[][] requests;
    private final Selector selector;
    private final ArrayDeque<Conn> idle = new ArrayDeque<>();
    private final ArrayDeque<Integer> backlog = new ArrayDeque<>();
    private int open;
    private long[] dueNanos;
    private long[] latNanos;
    private int done;
    private int ok;
    private int errors;

    private OpenLoopLoad(URI uri, byte[][] requests) throws IOException {
        this.target = new InetSocketAddress(uri.getHost(), uri.getPort());
        this.requests = requests;
        this.selector = Selector.open();
    }

    public static void main(String[] args) throws Exception {
        URI uri = URI.create(args[0]);
        int seconds = Integer.parseInt(args[1]);
        OpenLoopLoad load = new OpenLoopLoad(uri, requests(uri));
        for (int a = 2; a < args.length; a++) {
            load.run(Integer.parseInt(args[a]), seconds);
        }
        System.exit(0);
    }

    /** One connection: the request it carries (index into the schedule) and what has come back so far. */
    private static final class Conn {
        final SocketChannel ch;
        final SelectionKey key;
        ByteBuffer out;
        final ByteBuffer in = ByteBuffer.allocate(64 * 1024);
        int request = -1;

        Conn(SocketChannel ch, SelectionKey key) {
            this.ch = ch;
            this.key = key;
        }
    }

    private void run(int rate, int seconds) throws IOException {
        int total = rate * seconds;
        dueNanos = new long[total];
        latNanos = new long[total];
        done = 0;
        ok = 0;
        errors = 0;
        long start = System.nanoTime() + 50_000_000L;
        double interval = 1e9 / rate;
        for (int i = 0; i < total; i++) {
            dueNanos[i] = start + (long) (i * interval);
        }
        int next = 0;
        long giveUp = dueNanos[total - 1] + TIMEOUT_NANOS;
        while (done < total && System.nanoTime() < giveUp) {
            long now = System.nanoTime();
            while (next < total && dueNanos[next] <= now) {
                send(next++);
            }
            long waitNanos = next < total ? dueNanos[next] - System.nanoTime() : 10_000_000L;
            if (waitNanos > 0) {
                selector.select(Math.max(1, waitNanos / 1_000_000));
            } else {
                selector.selectNow();
            }
            for (SelectionKey k : selector.selectedKeys()) {
                Conn c = (Conn) k.attachment();
                try {
                    if (k.isValid() && k.isConnectable() && c.ch.finishConnect()) {
                        k.interestOps(SelectionKey.OP_WRITE);
                    }
                    if (k.isValid() && k.isWritable()) {
                        write(c);
                    }
                    if (k.isValid() && k.isReadable()) {
                        read(c);
                    }
                } catch (IOException e) {
                    fail(c);
                }
            }
            selector.selectedKeys().clear();
        }
        // Connections still waiting for an answer would deliver it into the next rate's run: close them.
        for (SelectionKey k : selector.keys().toArray(new SelectionKey[0])) {
            Conn c = (Conn) k.attachment();
            if (c.request >= 0) {
                c.request = -1;
                fail(c);
            }
        }
        backlog.clear();
        for (int i = 0; i < total; i++) {
            if (latNanos[i] == 0) {
                latNanos[i] = TIMEOUT_NANOS; // never answered
                errors++;
            }
        }
        long[] sorted = latNanos.clone();
        Arrays.sort(sorted);
        System.out.printf(Locale.ROOT, "rate=%d sent=%d ok=%d errors=%d p50=%.2f p90=%.2f p99=%.2f max=%.2f "
                        + "connections=%d%n", rate, total, ok, errors, pct(sorted, 0.5), pct(sorted, 0.9),
                pct(sorted, 0.99), sorted[total - 1] / 1e6, open);
    }

    private void send(int request) throws IOException {
        Conn c = idle.pollFirst();
        if (c == null) {
            if (open >= MAX_CONNECTIONS) {
                backlog.addLast(request); // waits for a connection; its latency still counts from its due time
                return;
            }
            c = connect();
        }
        start(c, request);
    }

    private Conn connect() throws IOException {
        SocketChannel ch = SocketChannel.open();
        ch.configureBlocking(false);
        ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
        boolean connected = ch.connect(target);
        SelectionKey key = ch.register(selector, connected ? 0 : SelectionKey.OP_CONNECT);
        Conn c = new Conn(ch, key);
        key.attach(c);
        open++;
        return c;
    }

    private void start(Conn c, int request) throws IOException {
        c.request = request;
        c.out = ByteBuffer.wrap(requests[request % requests.length]);
        c.in.clear();
        if (c.ch.isConnected()) {
            write(c);
        } else {
            c.key.interestOps(SelectionKey.OP_CONNECT);
        }
    }

    private void write(Conn c) throws IOException {
        c.ch.write(c.out);
        c.key.interestOps(c.out.hasRemaining() ? SelectionKey.OP_WRITE : SelectionKey.OP_READ);
    }

    private void read(Conn c) throws IOException {
        if (c.ch.read(c.in) < 0) {
            throw new IOException("closed by the server");
        }
        int status = complete(c.in);
        if (status < 0) {
            if (!c.in.hasRemaining()) {
                throw new IOException("response larger than the buffer");
            }
            return;
        }
        finish(c.request, status == 200);
        c.request = -1;
        c.key.interestOps(0);
        Integer waiting = backlog.pollFirst();
        if (waiting != null) {
            start(c, waiting);
        } else {
            idle.addLast(c);
        }
    }

    private void finish(int request, boolean success) {
        latNanos[request] = Math.max(1, System.nanoTime() - dueNanos[request]);
        done++;
        if (success) {
            ok++;
        } else {
            errors++;
        }
    }

    private void fail(Conn c) {
        if (c.request >= 0) {
            finish(c.request, false);
        }
        c.key.cancel();
        try {
            c.ch.close();
        } catch (IOException ignored) {
            // closing a broken connection
        }
        open--;
        idle.remove(c);
    }

    /** The status code once {@code in} holds a whole response (headers and Content-Length body), else -1. */
    private static int complete(ByteBuffer in) {
        byte[] b = in.array();
        int n = in.position();
        int headerEnd = -1;
        for (int i = 3; i < n; i++) {
            if (b[i] == '\n' && b[i - 1] == '\r' && b[i - 2] == '\n' && b[i - 3] == '\r') {
                headerEnd = i + 1;
                break;
            }
        }
        if (headerEnd < 0) {
            return -1;
        }
        String head = new String(b, 0, headerEnd, StandardCharsets.ISO_8859_1);
        int status = Integer.parseInt(head.substring(9, 12));
        int length = 0;
        for (String line : head.split("\r\n")) {
            if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        return n >= headerEnd + length ? status : -1;
    }

    private static double pct(long[] sorted, double p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)] / 1e6;
    }

    private static byte[][] requests(URI uri) {
        String[] bodies = bodies(PROMPT_TOKENS);
        byte[][] out = new byte[bodies.length][];
        for (int b = 0; b < out.length; b++) {
            byte[] body = bodies[b].getBytes(StandardCharsets.UTF_8);
            String target = uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
            byte[] head = ("POST " + target + " HTTP/1.1\r\nHost: " + uri.getHost() + ":" + uri.getPort()
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1);
            out[b] = new byte[head.length + body.length];
            System.arraycopy(head, 0, out[b], 0, head.length);
            System.arraycopy(body, 0, out[b], head.length, body.length);
        }
        return out;
    }

    /**
     * The JSON bodies sent, in order: user b % 200, system prompt b % 4 (the same 4 the harness seeds the index
     * with), the rest of the prompt random. Shared with the harness's wrk script, so both clients send the same.
     */
    static String[] bodies(int promptTokens) {
        Random rnd = new Random(5);
        int[][] system = new int[4][512];
        for (int[] s : system) {
            for (int i = 0; i < s.length; i++) {
                s[i] = rnd.nextInt(32_000);
            }
        }
        String[] out = new String[promptTokens > 4096 ? 200 : 1_000];
        for (int b = 0; b < out.length; b++) {
            StringBuilder sb = new StringBuilder("{\"namespace\":\"bench\",\"service\":\"svc\",\"userId\":\"user-")
                    .append(b % 200).append("\",\"tokens\":[");
            int[] sp = system[b % 4];
            for (int i = 0; i < promptTokens; i++) {
                sb.append(i == 0 ? "" : ",").append(i < 512 ? sp[i] : rnd.nextInt(32_000));
            }
            out[b] = sb.append("]}").toString();
        }
        return out;
    }
}
