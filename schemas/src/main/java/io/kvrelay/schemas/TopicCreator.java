package io.kvrelay.schemas;

import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates kvrelay's topics (bridge and stream-app alike), with the settings {@link Topics} decides, when they do not exist yet. */
public final class TopicCreator {
    private static final Logger log = LoggerFactory.getLogger(TopicCreator.class);

    private TopicCreator() {
    }

    /**
     * @param clientSettings the producer's settings; the connection ones (security, SSL, SASL, client.dns.lookup)
     *                       apply to the admin client too, so a secured cluster works the same
     */
    public static void ensure(String bootstrapServers, java.util.Map<String, String> clientSettings, List<TopicSpec> specs) {
        Properties p = new Properties();
        clientSettings.forEach((k, v) -> {
            if (k.startsWith("security.") || k.startsWith("ssl.") || k.startsWith("sasl.") || k.equals("client.dns.lookup")) {
                p.put(k, v);
            }
        });
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
        try (Admin admin = Admin.create(p)) {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<NewTopic> missing = new ArrayList<>();
            for (TopicSpec s : specs) {
                if (!existing.contains(s.name())) {
                    missing.add(new NewTopic(s.name(), s.partitions(), s.replicationFactor()).configs(s.configs()));
                }
            }
            if (missing.isEmpty()) {
                return;
            }
            try {
                admin.createTopics(missing).all().get(30, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e; // another instance may have created them first: that is fine
                }
            }
            List<String> names = missing.stream().map(NewTopic::name).toList();
            awaitLeaders(admin, names);
            log.info("created topics {}", names);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot create topics on " + bootstrapServers + ": " + e.getMessage(), e);
        }
    }

    /**
     * Returns once every partition of the new topics has a leader in the broker's metadata. Producing before that hits
     * KAFKA-15591 (fixed upstream after 4.3.1): an idempotent producer's first request fails NOT_LEADER_OR_FOLLOWER,
     * the next one is appended, and the first then retries OUT_OF_ORDER_SEQUENCE_NUMBER until its delivery timeout,
     * its records lost despite acks=all. Seen here in tests that produced right after creating topics.
     */
    private static void awaitLeaders(Admin admin, List<String> names) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            boolean ready = true;
            try {
                for (var d : admin.describeTopics(names).allTopicNames().get(10, TimeUnit.SECONDS).values()) {
                    ready &= d.partitions().stream().allMatch(tp -> tp.leader() != null && !tp.leader().isEmpty());
                }
            } catch (java.util.concurrent.ExecutionException e) {
                ready = false; // not visible yet (UnknownTopicOrPartition): ask again
            }
            if (ready) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("topics " + names + " have partitions without a leader after 30 s");
            }
            Thread.sleep(50);
        }
    }
}
