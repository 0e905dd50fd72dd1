package io.kvrelay.sim.zmq;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvrelay.sim.wire.SimEvent;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.ZContext;

/**
 * Many messages through the publisher, every one delivered (or published without a subscriber) and nothing stuck:
 * the outcome is checked, the rates are only logged. Speed is not asserted here: a throughput floor in this test failed
 * the build on a machine at load average 20-50 while the publisher was right; speed belongs in the benchmarks.
 */
class PublishRateIT {
    private static final Logger LOG = LoggerFactory.getLogger(PublishRateIT.class);
    private static final int N = 200_000;

    /** No drops (sndHwm 0 = unlimited): how fast 1 KiB messages get from publishRaw into a subscriber. */
    @Test
    void deliveredRateOfPreEncodedPayloads() throws Exception {
        PublisherConfig cfg = PublisherConfig.loopback("kv@pod@m").withHwmAndBuffer(0, 1000);
        try (ZContext client = new ZContext(1);
             KvEventPublisher pub = new KvEventPublisher(cfg);
             ZmqClients.Subscriber sub = new ZmqClients.Subscriber(client, pub.pubEndpoint(), 0, 0, false)) {
            assertThat(pub.awaitSubscribers(1, Duration.ofSeconds(60))).isTrue();
            byte[] raw = new byte[1024];
            int warmUp = 100_000;
            for (int i = 0; i < warmUp; i++) {
                pub.publishRaw(raw);
            }
            awaitCount(sub, warmUp);
            long start = System.nanoTime();
            for (int i = 0; i < N; i++) {
                pub.publishRaw(raw);
            }
            double sendSeconds = (System.nanoTime() - start) / 1e9;
            awaitCount(sub, warmUp + N);
            double seconds = (System.nanoTime() - start) / 1e9;
            LOG.info("publishRaw 1 KiB x {}: calls at {} msg/s, all delivered at {} msg/s", N,
                    Math.round(N / sendSeconds), Math.round(N / seconds));
            assertThat(sub.count()).isEqualTo(warmUp + N);
        }
    }

    private static void awaitCount(ZmqClients.Subscriber sub, long n) throws InterruptedException {
        long deadline = System.nanoTime() + 180_000_000_000L; // generous: a busy machine, not a slow publisher
        while (sub.count() < n && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
    }

    /** Encoding included: a ~0.5 KB map-layout batch (BlockRemoved of 4 + BlockStored of 4 x 16 tokens). */
    @Test
    void publishCallRateWithEncoding() throws Exception {
        try (KvEventPublisher pub = new KvEventPublisher(PublisherConfig.loopback("kv@pod@m"))) {
            List<SimEvent> batch = List.of(
                    SimEvent.Removed.gpu(-1L, -2L, -3L, -4L),
                    new SimEvent.Stored(new long[] {-5L, -6L, -7L, -8L}, -9L,
                            IntStream.range(30_000, 30_064).toArray(), 16, null, "GPU", null,
                            java.util.Arrays.asList(null, null, null, null), 0, "full_attention", null, null));
            int size = pub.publish(batch).payload().length;
            double rate = 0;
            for (int round = 0; round < 4; round++) { // the first rounds are JIT warm-up; keep the best
                long start = System.nanoTime();
                for (int i = 0; i < N; i++) {
                    pub.publish(batch);
                }
                rate = Math.max(rate, N / ((System.nanoTime() - start) / 1e9));
            }
            LOG.info("publish(events) of {} B, no subscriber: {} msg/s (encode + send + replay buffer)", size,
                    Math.round(rate));
            assertThat(pub.publish(batch).payload()).hasSize(size);
        }
    }
}
