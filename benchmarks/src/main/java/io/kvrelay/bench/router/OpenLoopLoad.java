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
 *
 * <p>With {@code -Dmode=chat} it sends streamed OpenAI chat requests instead ({@link #chatBodies}: one of 4 shared
 * system prompts and a user question, {@code "stream": true}, {@code max_tokens} from {@code -DmaxTokens}, default
 * 8, header {@code x-user-id} for one of 200 users; {@code -Dbodies=N}, default 1,000, distinct questions sent in
 * turn, each with {@code -Dsalt} in it, so a run can send questions no earlier run sent), {@code <url>} may list
 * several URLs separated by commas (request i goes to URL i mod n: round robin over pods), answers may be chunked,
 * and a request counts as ok only if it was a 200 whose body ended with {@code data: [DONE]}. Its line then has the
 * first byte of the body (the first server-sent event) and the whole answer, both from the scheduled time:
 * {@code rate=R sent=N ok=N errors=N first-byte p50=.. p99=.. max=.. total p50=.. p90=.. p99=.. max=..
 * connections=N} (ms).
 */
public final class OpenLoopLoad {
    private static final int MAX_CONNECTIONS = 512;
    private static final int PROMPT_TOKENS = Integer.getInteger("tokens", 1024);
    private static final long TIMEOUT_NANOS = 10_000_000_000L;
    private static final boolean CHAT = "chat".equals(System.getProperty("mode", "route"));
    private static final int MAX_TOKENS = Integer.getInteger("maxTokens", 8);
    private static final int CHAT_BODIES = Integer.getInteger("bodies", 1_000);
    private static final String SALT = System.getProperty("salt", "");
    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);

    private final InetSocketAddress[] targets;
    /** Pre-encoded requests per target: [target][body]. */
    private final byte[][][] requests;
    private final Selector selector;
    private final ArrayDeque<Conn>[] idle;
    private final ArrayDeque<Integer>[] backlog;
    private int open;
    private long[] dueNanos;
    private long[] latNanos;
    private long[] firstNanos;
    private int done;
    private int ok;
    private int errors;

    @SuppressWarnings("unchecked")
    private OpenLoopLoad(URI[] uris) throws IOException {
        this.targets = new InetSocketAddress[uris.length];
        this.requests = new byte[uris.length][][];
        this.idle = new ArrayDeque[uris.length];
        this.backlog = new ArrayDeque[uris.length];
        String[][] bodies = CHAT ? chatBodies(MAX_TOKENS, CHAT_BODIES, SALT)
                : new String[][] {bodies(PROMPT_TOKENS), null};
        for (int t = 0; t < uris.length; t++) {
            targets[t] = new InetSocketAddress(uris[t].getHost(), uris[t].getPort());
            requests[t] = requests(uris[t], bodies[0], bodies[1]);
            idle[t] = new ArrayDeque<>();
            backlog[t] = new ArrayDeque<>();
        }
        this.selector = Selector.open();
    }

    public static void main(String[] args) throws Exception {
        URI[] uris = Arrays.stream(args[0].split(",")).map(URI::create).toArray(URI[]::new);
        int seconds = Integer.parseInt(args[1]);
        OpenLoopLoad load = new OpenLoopLoad(uris);
        for (int a = 2; a < args.length; a++) {
            load.run(Integer.parseInt(args[a]), seconds);
        }
        System.exit(0);
    }

    /** One connection: the request it carries (index into the schedule) and what has come back so far. */
    private static final class Conn {
        final SocketChannel ch;
        final SelectionKey key;
        final int target;
        ByteBuffer out;
        final ByteBuffer in = ByteBuffer.allocate(64 * 1024);
        int request = -1;
        /** Where the body starts once the head is in (-1 before), its status, Content-Length (-1: chunked). */
        int headerEnd;
        int status;
        int length;
        /** Chunked: where the next chunk-size line starts; the last bytes of the body's data so far. */
        int scan;
        final byte[] tail = new byte[DONE.length];
        int tailLength;

        Conn(SocketChannel ch, SelectionKey key, int target) {
            this.ch = ch;
            this.key = key;
            this.target = target;
        }

        void reset() {
            in.clear();
            headerEnd = -1;
            tailLength = 0;
        }

        /** Keeps the last {@code tail.length} bytes of the body's data. */
        void data(byte[] b, int from, int to) {
            for (int i = Math.max(from, to - tail.length); i < to; i++) {
                if (tailLength == tail.length) {
                    System.arraycopy(tail, 1, tail, 0, tail.length - 1);
                    tailLength--;
                }
                tail[tailLength++] = b[i];
            }
        }

        boolean endsWithDone() {
            return tailLength == DONE.length && Arrays.equals(tail, DONE);
        }
    }

    private void run(int rate, int seconds) throws IOException {
        int total = rate * seconds;
        dueNanos = new long[total];
        latNanos = new long[total];
        firstNanos = new long[total];
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
        for (ArrayDeque<Integer> b : backlog) {
            b.clear();
        }
        for (int i = 0; i < total; i++) {
            if (latNanos[i] == 0) {
                latNanos[i] = TIMEOUT_NANOS; // never answered
                errors++;
            }
            if (firstNanos[i] == 0) {
                firstNanos[i] = latNanos[i];
            }
        }
        long[] sorted = latNanos.clone();
        Arrays.sort(sorted);
        if (CHAT) {
            long[] first = firstNanos.clone();
            Arrays.sort(first);
            System.out.printf(Locale.ROOT, "rate=%d sent=%d ok=%d errors=%d first-byte p50=%.2f p99=%.2f max=%.2f "
                            + "total p50=%.2f p90=%.2f p99=%.2f max=%.2f connections=%d%n", rate, total, ok, errors,
                    pct(first, 0.5), pct(first, 0.99), first[total - 1] / 1e6, pct(sorted, 0.5), pct(sorted, 0.9),
                    pct(sorted, 0.99), sorted[total - 1] / 1e6, open);
            return;
        }
        System.out.printf(Locale.ROOT, "rate=%d sent=%d ok=%d errors=%d p50=%.2f p90=%.2f p99=%.2f max=%.2f "
                        + "connections=%d%n", rate, total, ok, errors, pct(sorted, 0.5), pct(sorted, 0.9),
                pct(sorted, 0.99), sorted[total - 1] / 1e6, open);
    }

    private void send(int request) throws IOException {
        int target = request % targets.length;
        Conn c = idle[target].pollFirst();
        if (c == null) {
            if (open >= MAX_CONNECTIONS) {
                backlog[target].addLast(request); // waits for a connection; its latency still counts from its due time
                return;
            }
            c = connect(target);
        }
        start(c, request);
    }

    private Conn connect(int target) throws IOException {
        SocketChannel ch = SocketChannel.open();
        ch.configureBlocking(false);
        ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
        boolean connected = ch.connect(targets[target]);
        SelectionKey key = ch.register(selector, connected ? 0 : SelectionKey.OP_CONNECT);
        Conn c = new Conn(ch, key, target);
        key.attach(c);
        open++;
        return c;
    }

    private void start(Conn c, int request) throws IOException {
        byte[][] bodies = requests[c.target];
        c.request = request;
        c.out = ByteBuffer.wrap(bodies[request % bodies.length]);
        c.reset();
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
        int status = complete(c);
        if (status < 0) {
            if (!c.in.hasRemaining()) {
                throw new IOException("response larger than the buffer");
            }
            return;
        }
        finish(c.request, status == 200 && (!CHAT || c.endsWithDone()));
        c.request = -1;
        c.key.interestOps(0);
        Integer waiting = backlog[c.target].pollFirst();
        if (waiting != null) {
            start(c, waiting);
        } else {
            idle[c.target].addLast(c);
        }
    }

    /** The first byte of the request's body has come (the first event of a stream). */
    private void firstByte(int request) {
        if (firstNanos[request] == 0) {
            firstNanos[request] = Math.max(1, System.nanoTime() - dueNanos[request]);
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
        idle[c.target].remove(c);
    }

    /**
     * The status code once the connection holds a whole response (a Content-Length body, or a chunked one up to its
     * last chunk), else -1; notes the body's first byte and keeps the end of its data on the way.
     */
    private int complete(Conn c) throws IOException {
        byte[] b = c.in.array();
        int n = c.in.position();
        if (c.headerEnd < 0) {
            for (int i = 3; i < n; i++) {
                if (b[i] == '\n' && b[i - 1] == '\r' && b[i - 2] == '\n' && b[i - 3] == '\r') {
                    c.headerEnd = i + 1;
                    break;
                }
            }
            if (c.headerEnd < 0) {
                return -1;
            }
            String head = new String(b, 0, c.headerEnd, StandardCharsets.ISO_8859_1);
            c.status = Integer.parseInt(head.substring(9, 12));
            c.length = 0;
            for (String line : head.split("\r\n")) {
                if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) {
                    c.length = Integer.parseInt(line.substring(15).trim());
                } else if (line.regionMatches(true, 0, "Transfer-Encoding:", 0, 18)
                        && line.toLowerCase(Locale.ROOT).contains("chunked")) {
                    c.length = -1;
                }
            }
            c.scan = c.headerEnd;
        }
        if (c.length >= 0) {
            if (n > c.headerEnd) {
                firstByte(c.request);
            }
            if (n < c.headerEnd + c.length) {
                return -1;
            }
            c.data(b, c.headerEnd, c.headerEnd + c.length);
            return c.status;
        }
        while (true) { // chunked: <hex size>[;ext]\r\n<data>\r\n ... 0\r\n\r\n (no trailers from these servers)
            int lineEnd = -1;
            for (int i = c.scan + 1; i < n; i++) {
                if (b[i] == '\n' && b[i - 1] == '\r') {
                    lineEnd = i - 1;
                    break;
                }
            }
            if (lineEnd < 0) {
                return -1;
            }
            int size = 0;
            for (int i = c.scan; i < lineEnd && b[i] != ';'; i++) {
                int d = Character.digit(b[i], 16);
                if (d < 0) {
                    throw new IOException("bad chunk size");
                }
                size = size * 16 + d;
            }
            int data = lineEnd + 2;
            if (size == 0) {
                return n >= data + 2 ? c.status : -1;
            }
            if (n > data) {
                firstByte(c.request);
            }
            if (n < data + size + 2) {
                return -1;
            }
            c.data(b, data, data + size);
            c.scan = data + size + 2;
        }
    }

    private static double pct(long[] sorted, double p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)] / 1e6;
    }

    /** The requests to {@code uri}, one per body; {@code users} (null: none) sets each one's x-user-id header. */
    private static byte[][] requests(URI uri, String[] bodies, String[] users) {
        byte[][] out = new byte[bodies.length][];
        for (int b = 0; b < out.length; b++) {
            byte[] body = bodies[b].getBytes(StandardCharsets.UTF_8);
            String target = uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
            byte[] head = ("POST " + target + " HTTP/1.1\r\nHost: " + uri.getHost() + ":" + uri.getPort()
                    + "\r\nContent-Type: application/json\r\n"
                    + (users == null ? "" : "x-user-id: " + users[b] + "\r\n")
                    + "Content-Length: " + body.length + "\r\n\r\n")
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

    /**
     * The streamed chat requests sent in chat mode, in order, as {bodies, users}: body b is user {@code user-(b %
     * 200)}'s question b (with {@code salt} in it) under system prompt b % 4 (so a user always has the same one),
     * {@code count} of them, model {@code sim-model},
     * {@code max_tokens} as given, {@code "stream": true}. The four system prompts are about 200 words each (about
     * 400 tokens, 25 blocks of 16, of the simulator's tokenizer), so prefixes are shared across users.
     */
    static String[][] chatBodies(int maxTokens, int count, String salt) {
        Random rnd = new Random(7);
        String[] words = {"route", "cache", "prefix", "token", "block", "pod", "fleet", "request", "answer", "model",
            "serve", "stream", "latency", "queue", "batch", "decode", "prefill", "memory", "link", "user"};
        String[] system = new String[4];
        for (int s = 0; s < system.length; s++) {
            StringBuilder sb = new StringBuilder("You are assistant ").append(s).append(".");
            for (int w = 0; w < 200; w++) {
                sb.append(' ').append(words[rnd.nextInt(words.length)]);
            }
            system[s] = sb.append('.').toString();
        }
        String[] bodies = new String[count];
        String[] users = new String[bodies.length];
        for (int b = 0; b < bodies.length; b++) {
            users[b] = "user-" + (b % 200);
            bodies[b] = "{\"model\":\"sim-model\",\"messages\":[{\"role\":\"system\",\"content\":\""
                    + system[b % 4] + "\"},{\"role\":\"user\",\"content\":\"Question " + salt + b + ": how does the "
                    + words[rnd.nextInt(words.length)] + " relate to the " + words[rnd.nextInt(words.length)]
                    + "?\"}],\"max_tokens\":" + maxTokens + ",\"stream\":true}";
        }
        return new String[][] {bodies, users};
    }
}
