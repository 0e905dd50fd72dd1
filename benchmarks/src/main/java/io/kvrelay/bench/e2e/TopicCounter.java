package io.kvrelay.bench.e2e;

import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;

/** Counts records in a topic from its end offsets (the topic is new, so it starts at 0). */
final class TopicCounter {
    private final String bootstrap;
    private final String topic;
    private long count;

    TopicCounter(String bootstrap, String topic) {
        this.bootstrap = bootstrap;
        this.topic = topic;
    }

    void awaitAtLeast(long n, long timeoutNanos) throws Exception {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        long deadline = System.nanoTime() + timeoutNanos;
        try (Admin admin = Admin.create(p)) {
            var parts = admin.describeTopics(java.util.List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS)
                    .get(topic).partitions();
            Map<TopicPartition, OffsetSpec> spec = parts.stream().collect(Collectors.toMap(
                    tp -> new TopicPartition(topic, tp.partition()), tp -> OffsetSpec.latest()));
            while (System.nanoTime() < deadline) {
                count = admin.listOffsets(spec).all().get(30, TimeUnit.SECONDS).values().stream()
                        .mapToLong(r -> r.offset()).sum();
                if (count >= n) {
                    return;
                }
                Thread.sleep(20);
            }
        }
        throw new IllegalStateException("only " + count + " of " + n + " records reached " + topic);
    }

    long count() {
        return count;
    }
}
