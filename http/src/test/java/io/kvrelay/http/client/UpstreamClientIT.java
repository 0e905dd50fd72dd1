package io.kvrelay.http.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvrelay.http.ErrorMapper;
import io.kvrelay.http.HttpLimits;
import io.kvrelay.http.HttpServer;
import io.kvrelay.http.Reply;
import io.kvrelay.http.Routes;
import io.netty.channel.EventLoopGroup;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The front door's client against kvrelay's own server: answers relayed piece by piece, connections reused, bounded
 * per server (requests beyond wait), a cancelled answer closing its connection (the server sees its client leave),
 * a refused connection as a {@link ConnectException}, a server that says nothing as a {@link
 * UpstreamClient.ResponseTimeout}.
 */
class UpstreamClientIT {
    private final CountDownLatch clientGone = new CountDownLatch(1);
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private HttpServer server;
    private EventLoopGroup loops;
    private UpstreamClient client;

    @BeforeEach
    void start() throws Exception {
        Routes routes = new Routes()
                .add("POST", "/echo", Routes.Mode.EVENT_LOOP, 0, r -> Reply.ok(Map.of("got", new String(r.body(),
                        StandardCharsets.UTF_8), "connection", r.header("x-probe") == null ? "" : r.header("x-probe"))))
                .get("/stream/{n}", r -> Reply.ok(new Reply.Stream("text/event-stream", sink -> {
                    int n = Integer.parseInt(r.param("n"));
                    AtomicInteger sent = new AtomicInteger();
                    sink.onClientGone(clientGone::countDown);
                    Runnable[] tick = new Runnable[1];
                    tick[0] = () -> {
                        int i = sent.getAndIncrement();
                        if (n > 0 && i >= n) {
                            sink.end();
                        } else if (sink.send(("data: " + i + "\n\n").getBytes(StandardCharsets.UTF_8))) {
                            timer.schedule(tick[0], 10, TimeUnit.MILLISECONDS);
                        }
                    };
                    tick[0].run();
                })))
                .addAsync("GET", "/silent", Routes.Mode.EVENT_LOOP, 0, r -> new CompletableFuture<>());
        server = new HttpServer("upstream-test", "127.0.0.1", 0, 2, HttpLimits.defaults(), routes,
                new ObjectMapper(), ErrorMapper.NONE);
        loops = HttpServer.eventLoops("upstream-client", 1);
        client = new UpstreamClient(loops, 2, 2_000);
    }

    @AfterEach
    void stop() {
        client.close();
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        server.close();
        timer.shutdownNow();
    }

    @Test
    void relaysAnswersAndReusesItsConnections() throws Exception {
        int[] status = new int[1];
        for (int i = 0; i < 5; i++) {
            byte[] answer = client.exchange("127.0.0.1", server.port(), "POST", "/echo",
                    Map.of("content-type", "text/plain"), ("hello " + i).getBytes(StandardCharsets.UTF_8), 10_000,
                    1 << 20, status).get(30, TimeUnit.SECONDS);
            assertThat(status[0]).isEqualTo(200);
            assertThat(new String(answer, StandardCharsets.UTF_8)).contains("\"got\":\"hello " + i + "\"");
        }
        UpstreamClient.Response streamed = client.send("127.0.0.1", server.port(), "GET", "/stream/5", Map.of(),
                new byte[0], 10_000).get(30, TimeUnit.SECONDS);
        assertThat(streamed.headers()).containsEntry("content-type", "text/event-stream");
        List<String> pieces = new ArrayList<>();
        CompletableFuture<Throwable> ended = new CompletableFuture<>();
        streamed.body(p -> pieces.add(new String(p, StandardCharsets.UTF_8)), ended::complete);
        assertThat(ended.get(30, TimeUnit.SECONDS)).isNull();
        assertThat(String.join("", pieces)).isEqualTo("data: 0\n\ndata: 1\n\ndata: 2\n\ndata: 3\n\ndata: 4\n\n");
    }

    @Test
    void boundsItsConnectionsPerServerAndQueuesTheRest() throws Exception {
        // Two connections at most: two endless streams hold both, a third request waits until one is cancelled.
        UpstreamClient.Response a = client.send("127.0.0.1", server.port(), "GET", "/stream/0", Map.of(),
                new byte[0], 10_000).get(30, TimeUnit.SECONDS);
        UpstreamClient.Response b = client.send("127.0.0.1", server.port(), "GET", "/stream/0", Map.of(),
                new byte[0], 10_000).get(30, TimeUnit.SECONDS);
        CompletableFuture<UpstreamClient.Response> third = client.send("127.0.0.1", server.port(), "GET",
                "/stream/1", Map.of(), new byte[0], 60_000);
        Thread.sleep(300);
        assertThat(third).as("waiting for a connection").isNotDone();
        a.cancel();
        assertThat(clientGone.await(30, TimeUnit.SECONDS)).as("the server saw the cancelled client leave").isTrue();
        assertThat(third.get(30, TimeUnit.SECONDS).status()).isEqualTo(200);
        b.cancel();
    }

    @Test
    void aRefusedConnectionAndASilentServerAreTheirOwnFailures() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        ExecutionException refused = org.assertj.core.api.Assertions.catchThrowableOfType(ExecutionException.class,
                () -> client.send("127.0.0.1", closed, "GET", "/", Map.of(), new byte[0], 10_000)
                        .get(30, TimeUnit.SECONDS));
        assertThat(refused.getCause()).isInstanceOf(ConnectException.class);
        ExecutionException silent = org.assertj.core.api.Assertions.catchThrowableOfType(ExecutionException.class,
                () -> client.send("127.0.0.1", server.port(), "GET", "/silent", Map.of(), new byte[0], 300)
                        .get(30, TimeUnit.SECONDS));
        assertThat(silent.getCause()).isInstanceOf(UpstreamClient.ResponseTimeout.class);
    }
}
