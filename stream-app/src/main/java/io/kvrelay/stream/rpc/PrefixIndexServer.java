package io.kvrelay.stream.rpc;

import io.kvrelay.http.frames.FrameException;
import io.kvrelay.http.frames.FrameStatus;
import io.kvrelay.http.frames.FramedServer;
import io.kvrelay.schemas.rpc.PrefixMatchRpc;
import io.kvrelay.stream.query.ClusterQueries;
import io.kvrelay.stream.query.PrefixMatch;
import io.kvrelay.stream.query.PrefixMatchRequest;
import io.kvrelay.stream.query.QueryOutcome;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The binary prefix-match API routers use ({@link PrefixMatchRpc} over kvrelay's framed calls): persistent
 * connections that carry many calls at once, each answered on the event loop that read it, since the answer comes
 * from in-memory stores. This instance's partitions only; the router fans out and merges.
 */
public final class PrefixIndexServer implements AutoCloseable {
    /** 65,536 keys of 8 bytes and the names: the request's own bound, and nothing a peer can inflate. */
    private static final int MAX_FRAME_BYTES = 1024 * 1024;
    private static final int MAX_CONNECTIONS = 1024;

    private final FramedServer server;
    private final Supplier<ClusterQueries> queries;

    /** @param queries null until Kafka Streams is built: calls meanwhile are UNAVAILABLE */
    public PrefixIndexServer(String host, int port, Supplier<ClusterQueries> queries) throws InterruptedException {
        this.queries = queries;
        this.server = new FramedServer("stream-app-index", host, port, 0, MAX_FRAME_BYTES, MAX_CONNECTIONS,
                Map.of(PrefixMatchRpc.METHOD, this::prefixMatch));
    }

    public int port() {
        return server.port();
    }

    private byte[] prefixMatch(byte[] request) {
        ClusterQueries q = queries.get();
        if (q == null) {
            throw new FrameException(FrameStatus.UNAVAILABLE, "starting");
        }
        PrefixMatchRpc.Request req = PrefixMatchRpc.decodeRequest(request); // IllegalArgumentException: INVALID
        QueryOutcome<PrefixMatch> o = q.localPrefixMatch(
                new PrefixMatchRequest(req.namespace(), req.service(), req.keys(), List.of()));
        if (o instanceof QueryOutcome.Found<PrefixMatch> f) {
            return PrefixMatchRpc.encode(response(f.value()));
        }
        if (o instanceof QueryOutcome.Unavailable<PrefixMatch> u) {
            throw new FrameException(FrameStatus.UNAVAILABLE, u.reason());
        }
        throw new FrameException(FrameStatus.NOT_FOUND, ((QueryOutcome.NotFound<PrefixMatch>) o).message());
    }

    /** Per pod the best of its DP ranks, per figure: what the router scores on. */
    static PrefixMatchRpc.Response response(PrefixMatch m) {
        Map<String, int[]> byPod = new LinkedHashMap<>();
        for (PrefixMatch.WorkerMatch w : m.workers()) {
            int[] f = byPod.computeIfAbsent(w.pod(), k -> new int[3]);
            f[0] = Math.max(f[0], w.matched());
            f[1] = Math.max(f[1], w.gpuMatched());
            f[2] = Math.max(f[2], w.memoryMatched());
        }
        List<PrefixMatchRpc.PodMatch> pods = new ArrayList<>(byPod.size());
        byPod.forEach((pod, f) -> pods.add(new PrefixMatchRpc.PodMatch(pod, f[0], f[1], f[2])));
        int[] partitions = m.partitions().stream().mapToInt(Integer::intValue).toArray();
        return new PrefixMatchRpc.Response(partitions, pods);
    }

    @Override
    public void close() {
        server.close();
    }
}
