package io.kvrelay.http.frames;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvrelay.http.HttpServer;
import io.netty.channel.EventLoopGroup;
import java.io.DataOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Framed calls over real sockets: answers, statuses, deadlines, lost and refused connections, hostile peers. */
class FramedCallsIT {
    private static final long DEADLINE = TimeUnit.SECONDS.toNanos(30);
    private EventLoopGroup loops;
    private FramedClient client;
    private FramedServer server;

    @BeforeEach
    void start() throws Exception {
        loops = HttpServer.eventLoops("test-client", 2);
        client = new FramedClient(loops, 1024 * 1024);
        server = server(0);
    }

    private static FramedServer server(int port) throws InterruptedException {
        return new FramedServer("test-frames", "127.0.0.1", port, 1, 64 * 1024, 16, Map.of(
                1, req -> reversed(req),
                2, req -> {
                    throw new FrameException(FrameStatus.UNAVAILABLE, "restoring");
                },
                3, req -> {
                    throw new IllegalArgumentException("bad count");
                },
                4, req -> {
                    throw new IllegalStateException("a bug");
                }));
    }

    @AfterEach
    void stop() {
        client.close();
        server.close();
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }

    private static byte[] reversed(byte[] b) {
        byte[] r = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            r[i] = b[b.length - 1 - i];
        }
        return r;
    }

    private CompletableFuture<byte[]> call(int method, String body) {
        return client.call("127.0.0.1", server.port(), method, body.getBytes(StandardCharsets.UTF_8), DEADLINE);
    }

    private static FrameStatus statusOf(CompletableFuture<?> f) {
        try {
            f.join();
            return FrameStatus.OK;
        } catch (CompletionException e) {
            assertThat(e.getCause()).isInstanceOf(FrameException.class);
            return ((FrameException) e.getCause()).status();
        }
    }

    @Test
    void manyConcurrentCallsEachGetTheirOwnAnswer() {
        List<CompletableFuture<byte[]>> calls = new ArrayList<>();
        for (int i = 0; i < 2_000; i++) {
            calls.add(call(1, "call-" + i));
        }
        for (int i = 0; i < calls.size(); i++) {
            assertThat(new String(calls.get(i).join(), StandardCharsets.UTF_8))
                    .isEqualTo(new StringBuilder("call-" + i).reverse().toString());
        }
        assertThat(call(1, "").join()).isEmpty();
    }

    @Test
    void aCallMadeOnALoopIsAnsweredOnThatLoop() throws Exception {
        for (var loop : loops) {
            AtomicReference<Thread> caller = new AtomicReference<>();
            AtomicReference<Thread> answeredOn = new AtomicReference<>();
            CompletableFuture<byte[]> done = CompletableFuture.supplyAsync(() -> {
                caller.set(Thread.currentThread());
                return call(1, "x");
            }, loop).thenCompose(f -> f).whenComplete((b, e) -> answeredOn.set(Thread.currentThread()));
            assertThat(done.get(30, TimeUnit.SECONDS)).containsExactly('x');
            assertThat(answeredOn.get()).isSameAs(caller.get());
        }
    }

    @Test
    void serverStatusesReachTheCaller() {
        assertThat(statusOf(call(2, "a"))).isEqualTo(FrameStatus.UNAVAILABLE);
        assertThatThrownBy(() -> call(2, "a").join()).hasMessageContaining("restoring");
        assertThat(statusOf(call(3, "a"))).isEqualTo(FrameStatus.INVALID_ARGUMENT);
        assertThat(statusOf(call(4, "a"))).isEqualTo(FrameStatus.INTERNAL);
        assertThat(statusOf(call(99, "a"))).isEqualTo(FrameStatus.UNIMPLEMENTED);
        // and the connection still serves
        assertThat(call(1, "ok").join()).containsExactly('k', 'o');
    }

    @Test
    void aServerThatDoesNotAnswerMissesTheDeadline() throws Exception {
        try (ServerSocket silent = new ServerSocket(0)) {
            Thread accept = new Thread(() -> {
                try (Socket s = silent.accept()) {
                    s.getInputStream().readAllBytes(); // reads, never answers
                } catch (Exception e) {
                    // closed by the test
                }
            });
            accept.setDaemon(true);
            accept.start();
            CompletableFuture<byte[]> f = client.call("127.0.0.1", silent.getLocalPort(), 1, new byte[] {1},
                    TimeUnit.MILLISECONDS.toNanos(200));
            assertThat(statusOf(f)).isEqualTo(FrameStatus.DEADLINE_EXCEEDED);
        }
    }

    @Test
    void aServerThatIsDownFailsFastAndIsFoundAgainWhenBack() throws Exception {
        int port = server.port();
        server.close();
        assertThat(statusOf(client.call("127.0.0.1", port, 1, new byte[] {1}, DEADLINE)))
                .isEqualTo(FrameStatus.UNAVAILABLE);
        server = server(port);
        // reconnects on a later call (at most 200 ms after the failed attempt): poll until it does
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        FrameStatus s;
        do {
            Thread.sleep(50);
            s = statusOf(client.call("127.0.0.1", port, 1, new byte[] {1}, DEADLINE));
        } while (s != FrameStatus.OK && System.nanoTime() < until);
        assertThat(s).isEqualTo(FrameStatus.OK);
    }

    @Test
    void aConnectionLostMidCallFailsItsCallsAndTheNextCallReconnects() throws Exception {
        try (ServerSocket closing = new ServerSocket(0)) {
            Thread accept = new Thread(() -> {
                try {
                    Socket s = closing.accept();
                    s.getInputStream().read(); // the first byte of a call, then the connection drops
                    s.close();
                } catch (Exception e) {
                    // closed by the test
                }
            });
            accept.setDaemon(true);
            accept.start();
            assertThat(statusOf(client.call("127.0.0.1", closing.getLocalPort(), 1, new byte[] {1}, DEADLINE)))
                    .isEqualTo(FrameStatus.UNAVAILABLE);
        }
    }

    @Test
    void hostilePeersCannotHurtTheServer() throws Exception {
        // garbage, a header cut short, a frame claiming 2 GB, a frame over the limit: each closes its connection
        byte[][] attacks = {
                "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII),
                {0, 0, 0, 2, 0, 0},
                {0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0, 0, 0, 1, 1},
                oversize(),
        };
        for (byte[] attack : attacks) {
            try (Socket s = new Socket("127.0.0.1", server.port())) {
                s.setSoTimeout(30_000);
                OutputStream out = s.getOutputStream();
                out.write(attack);
                out.flush();
                InputStream in = s.getInputStream();
                byte[] answer = in.readAllBytes(); // until the server closes
                assertThat(answer.length).isLessThan(64);
            } catch (java.net.SocketException e) {
                // reset by the server while we were still writing: as good as closed
            }
        }
        assertThat(call(1, "still here").join()).hasSize(10);
    }

    private static byte[] oversize() throws Exception {
        var bytes = new java.io.ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(bytes);
        d.writeInt(5 + 100_000);
        d.writeInt(1);
        d.writeByte(1);
        d.write(new byte[100_000]);
        return bytes.toByteArray();
    }
}
