package io.kvrelay.schemas.rpc;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The router→stream-app prefix-match call in binary: method {@value #METHOD} of kvrelay's framed calls (module
 * {@code http}, {@code io.kvrelay.http.frames.Frames}), with fixed layouts (nothing to generate, nothing to parse but
 * integers):
 *
 * <pre>
 * request:  u8 version=1 | u16 n + namespace (UTF-8) | u16 n + service (UTF-8) | i32 count | count x i64 block key
 * response: u8 version=1 | i32 p | p x i32 partition | i32 w | w x (u16 n + pod (UTF-8) | i32 matched
 *           | i32 gpuMatched | i32 memoryMatched)
 * </pre>
 * Big-endian. The answer covers this instance's partitions only (as {@code ?scope=local} does on the JSON API): the
 * caller fans out to every instance and checks that the partitions add up. Per pod the best of its DP ranks, per
 * figure. Errors are the frame's statuses: INVALID_ARGUMENT (a bad request), UNAVAILABLE (rebalancing, restoring).
 * A damaged message decodes to {@link IllegalArgumentException}, never to an allocation its bytes do not back.
 */
public final class PrefixMatchRpc {
    /** The method id in the request frame's kind byte. */
    public static final int METHOD = 1;
    private static final byte VERSION = 1;
    /** Bounds what a peer can make the other allocate. */
    public static final int MAX_KEYS = 65_536;
    private static final int MAX_ENTRIES = 1 << 20;

    private PrefixMatchRpc() {
    }

    public record Request(String namespace, String service, long[] keys) {
    }

    /** One pod's longest matched prefix: any local tier, on GPU, in memory (GPU or CPU). */
    public record PodMatch(String pod, int matched, int gpuMatched, int memoryMatched) {
    }

    public record Response(int[] partitions, List<PodMatch> pods) {
    }

    public static byte[] encode(Request r) {
        byte[] ns = r.namespace().getBytes(StandardCharsets.UTF_8);
        byte[] svc = r.service().getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(1 + 2 + ns.length + 2 + svc.length + 4 + 8 * r.keys().length);
        b.put(VERSION);
        putString(b, ns);
        putString(b, svc);
        b.putInt(r.keys().length);
        for (long k : r.keys()) {
            b.putLong(k);
        }
        return b.array();
    }

    public static Request decodeRequest(byte[] bytes) {
        try {
            return readRequest(open(bytes));
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("truncated prefix-match request", e);
        }
    }

    private static Request readRequest(ByteBuffer b) {
        String ns = string(b);
        String svc = string(b);
        int n = count(b, MAX_KEYS, 8);
        long[] keys = new long[n];
        for (int i = 0; i < n; i++) {
            keys[i] = b.getLong();
        }
        return new Request(ns, svc, keys);
    }

    public static byte[] encode(Response r) {
        List<byte[]> names = new ArrayList<>(r.pods().size());
        int size = 1 + 4 + 4 * r.partitions().length + 4;
        for (PodMatch p : r.pods()) {
            byte[] n = p.pod().getBytes(StandardCharsets.UTF_8);
            names.add(n);
            size += 2 + n.length + 12;
        }
        ByteBuffer b = ByteBuffer.allocate(size);
        b.put(VERSION);
        b.putInt(r.partitions().length);
        for (int p : r.partitions()) {
            b.putInt(p);
        }
        b.putInt(r.pods().size());
        for (int i = 0; i < names.size(); i++) {
            PodMatch p = r.pods().get(i);
            putString(b, names.get(i));
            b.putInt(p.matched()).putInt(p.gpuMatched()).putInt(p.memoryMatched());
        }
        return b.array();
    }

    public static Response decodeResponse(byte[] bytes) {
        try {
            return readResponse(open(bytes));
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("truncated prefix-match answer", e);
        }
    }

    private static Response readResponse(ByteBuffer b) {
        int[] partitions = new int[count(b, MAX_ENTRIES, 4)];
        for (int i = 0; i < partitions.length; i++) {
            partitions[i] = b.getInt();
        }
        int n = count(b, MAX_ENTRIES, 14);
        List<PodMatch> pods = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            pods.add(new PodMatch(string(b), b.getInt(), b.getInt(), b.getInt()));
        }
        return new Response(partitions, pods);
    }

    private static ByteBuffer open(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        if (!b.hasRemaining() || b.get() != VERSION) {
            throw new IllegalArgumentException("not a version-" + VERSION + " prefix-match message");
        }
        return b;
    }

    private static int count(ByteBuffer b, int max, int minBytesEach) {
        int n = b.getInt();
        if (n < 0 || n > max || (long) n * minBytesEach > b.remaining()) {
            throw new IllegalArgumentException("bad count " + n + " (at most " + max + ", "
                    + b.remaining() + " bytes left)");
        }
        return n;
    }

    private static void putString(ByteBuffer b, byte[] s) {
        if (s.length > 0xFFFF) {
            throw new IllegalArgumentException("a name of " + s.length + " bytes (at most 65535)");
        }
        b.putShort((short) s.length);
        b.put(s);
    }

    private static String string(ByteBuffer b) {
        int n = Short.toUnsignedInt(b.getShort());
        if (n > b.remaining()) {
            throw new IllegalArgumentException("a name of " + n + " bytes, " + b.remaining() + " left");
        }
        String s = new String(b.array(), b.position(), n, StandardCharsets.UTF_8);
        b.position(b.position() + n);
        return s;
    }
}
