package io.kvrelay.schemas;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates kvrelay's topics (bridge and stream-app alike), with the settings {@link Topics} decides, when they do not exist yet. */
public final class TopicCreator {
    private static final Logger log = LoggerFactory.getLogger(TopicCreator.class);

    private TopicCreator() {
    }

    /**
     * Creates the missing topics, then returns once every partition of every listed topic accepts writes.
     *
     * @param kafka the cluster and the part's client settings (security, SSL, SASL apply to the admin client too)
     */
    public static void ensure(KafkaClients kafka, List<TopicSpec> specs) {
        try (Admin admin = admin(kafka)) {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<NewTopic> missing = new ArrayList<>();
            for (TopicSpec s : specs) {
                if (!existing.contains(s.name())) {
                    missing.add(new NewTopic(s.name(), s.partitions(), s.replicationFactor()).configs(s.configs()));
                }
            }
            if (!missing.isEmpty()) {
                try {
                    admin.createTopics(missing).all().get(30, TimeUnit.SECONDS);
                    log.info("created topics {}", missing.stream().map(NewTopic::name).toList());
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e; // another instance may have created them first: that is fine
                    }
                }
            }
            // Also when they existed: another instance may have created them a moment ago.
            awaitWritable(admin, specs.stream().map(TopicSpec::name).toList());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot create topics on " + kafka.bootstrapServers() + ": " + e.getMessage(), e);
        }
    }

    /** Returns once every partition of {@code topics} accepts writes; for topics someone else creates. */
    public static void awaitWritable(KafkaClients kafka, List<String> topics) {
        try (Admin admin = admin(kafka)) {
            awaitWritable(admin, topics);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while checking topics", e);
        } catch (Exception e) {
            throw new IllegalStateException("topics " + topics + " on " + kafka.bootstrapServers() + " not writable: "
                    + e.getMessage(), e);
        }
    }

    private static Admin admin(KafkaClients kafka) {
        return kafka.admin("kvrelay-topics", Map.of(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000"));
    }

    /**
     * Returns once the leader of every partition answers a ListOffsets request. Producing before that hits KAFKA-15591
     * (fixed in Kafka 4.5): an idempotent producer's first request fails NOT_LEADER_OR_FOLLOWER, the next one is
     * appended, and the first then retries OUT_OF_ORDER_SEQUENCE_NUMBER forever, its records never written despite
     * acks=all. A leader in the metadata is not enough: a broker publishes the new partition in its metadata cache
     * before its replica manager becomes leader (a fresh-clone CI run lost a pod's first ten batches that way), and
     * ListOffsets, like Produce, is answered by the replica manager.
     */
    private static void awaitWritable(Admin admin, List<String> names) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        Exception last = null;
        while (System.nanoTime() < deadline) {
            try {
                Map<TopicPartition, OffsetSpec> partitions = new HashMap<>();
                for (TopicDescription d : admin.describeTopics(names).allTopicNames().get(10, TimeUnit.SECONDS).values()) {
                    d.partitions().forEach(p -> partitions.put(new TopicPartition(d.name(), p.partition()), OffsetSpec.latest()));
                }
                admin.listOffsets(partitions).all().get(10, TimeUnit.SECONDS);
                return;
            } catch (ExecutionException | TimeoutException e) {
                last = e; // not created, not led or not loaded yet: ask again
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("topics " + names + " not writable after 30 s", last);
    }
}
