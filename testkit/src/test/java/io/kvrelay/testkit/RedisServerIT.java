package io.kvrelay.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Both kinds of server, driven with raw RESP so this module needs no Redis client of its own. */
class RedisServerIT {

    @Test
    void shouldServeStopAndRestartEmbeddedRedis() throws IOException {
        try (RedisServer redis = RedisServer.start(RedisServer.Mode.EMBEDDED)) {
            assertThat(redis.kind()).isEqualTo("embedded");
            exerciseStopAndRestart(redis);
        }
    }

    @Test
    void shouldServeStopAndRestartSystemRedisWhenInstalled() throws IOException {
        RequiredTools.require("redis-server", "apt-get install redis-server");
        try (RedisServer redis = RedisServer.start(RedisServer.Mode.SYSTEM)) {
            assertThat(redis.kind()).startsWith("system ").doesNotEndWith("unknown");
            exerciseStopAndRestart(redis);
        }
    }

    @Test
    void shouldPreferTheSystemBinaryAndFallBackToEmbedded() {
        try (RedisServer redis = RedisServer.start(RedisServer.Mode.AUTO)) {
            assertThat(redis.kind()).startsWith(RedisServer.systemBinary().isPresent() ? "system" : "embedded");
        }
    }

    @Test
    void shouldRefuseSystemModeWithoutABinary() {
        // As on a machine without redis-server, whether or not this one has it.
        assertThatThrownBy(() -> RedisServer.start(RedisServer.Mode.SYSTEM, java.util.Optional.empty()))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("apt-get install redis-server");
    }

    private static void exerciseStopAndRestart(RedisServer redis) throws IOException {
        assertThat(send(redis, "SET k v")).isEqualTo("+OK");
        assertThat(send(redis, "GET k")).isEqualTo("$1\r\nv");

        redis.stop();
        assertThat(redis.isRunning()).isFalse();
        assertThat(refused(redis)).as("connection refused while stopped").isTrue();

        redis.restart();
        assertThat(redis.isRunning()).isTrue();
        assertThat(send(redis, "GET k")).as("a restarted server is empty").isEqualTo("$-1");
        assertThat(send(redis, "CONFIG GET save")).as("no snapshots").endsWith("$0\r\n");
    }

    /** One inline command; its reply, CRLF-trimmed. QUIT makes the server close, so reading to the end is safe. */
    private static String send(RedisServer redis, String command) throws IOException {
        try (Socket s = new Socket(redis.host(), redis.port())) {
            s.setSoTimeout(2_000);
            s.getOutputStream().write((command + "\r\nQUIT\r\n").getBytes(StandardCharsets.UTF_8));
            InputStream in = s.getInputStream();
            String reply = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertThat(reply).endsWith("\r\n+OK\r\n");
            return reply.substring(0, reply.length() - "\r\n+OK\r\n".length());
        }
    }

    private static boolean refused(RedisServer redis) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(redis.host(), redis.port()), 500);
            return false;
        } catch (IOException e) {
            return true;
        }
    }
}
