package io.kvrelay.stream.rpc;

import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.kvrelay.schemas.rpc.PrefixMatchRpc;
import io.kvrelay.stream.query.ClusterQueries;
import io.kvrelay.stream.query.PrefixMatch;
import io.kvrelay.stream.query.PrefixMatchRequest;
import io.kvrelay.stream.query.QueryOutcome;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The binary prefix-match API routers use ({@link PrefixMatchRpc}): gRPC on Netty, HTTP/2 connections that carry
 * many calls at once. Calls run on the event loop that read them (direct executor): the answer comes from in-memory
 * stores, so a hand-off to a pool would cost more than the lookup. This instance's partitions only; the router fans
 * out and merges.
 */
public final class PrefixIndexGrpcServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PrefixIndexGrpcServer.class);

    private final Server server;
    private final Supplier<ClusterQueries> queries;

    /** @param queries null until Kafka Streams is built: calls meanwhile are UNAVAILABLE */
    public PrefixIndexGrpcServer(String host, int port, Supplier<ClusterQueries> queries) throws IOException {
        this.queries = queries;
        ServerServiceDefinition service = ServerServiceDefinition.builder(PrefixMatchRpc.SERVICE)
                .addMethod(PrefixMatchRpc.METHOD, ServerCalls.asyncUnaryCall(this::prefixMatch))
                .build();
        this.server = NettyServerBuilder.forAddress(new InetSocketAddress(host, port))
                .directExecutor()
                .addService(service)
                // 65,536 keys of 8 bytes and the names: the request's own bound, and nothing a peer can inflate.
                .maxInboundMessageSize(1024 * 1024)
                .maxInboundMetadataSize(16 * 1024)
                .maxConnectionIdle(10, TimeUnit.MINUTES)
                .permitKeepAliveTime(10, TimeUnit.SECONDS)
                .build()
                .start();
        log.info("prefix-match gRPC on {}:{}", host, port());
    }

    public int port() {
        return server.getPort();
    }

    private void prefixMatch(PrefixMatchRpc.Request req, StreamObserver<PrefixMatchRpc.Response> out) {
        ClusterQueries q = queries.get();
        if (q == null) {
            out.onError(Status.UNAVAILABLE.withDescription("starting").asRuntimeException());
            return;
        }
        PrefixMatchRequest r;
        try {
            r = new PrefixMatchRequest(req.namespace(), req.service(), req.keys(), List.of());
        } catch (IllegalArgumentException e) {
            out.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
            return;
        }
        QueryOutcome<PrefixMatch> o = q.local().prefixMatch(r);
        if (o instanceof QueryOutcome.Found<PrefixMatch> f) {
            out.onNext(response(f.value()));
            out.onCompleted();
        } else if (o instanceof QueryOutcome.Unavailable<PrefixMatch> u) {
            out.onError(Status.UNAVAILABLE.withDescription(u.reason()).asRuntimeException());
        } else {
            out.onError(Status.NOT_FOUND.withDescription(((QueryOutcome.NotFound<PrefixMatch>) o).message())
                    .asRuntimeException());
        }
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
        server.shutdownNow();
        try {
            server.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
