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
            log.info("created topics {}", missing.stream().map(NewTopic::name).toList());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot create topics on " + bootstrapServers + ": " + e.getMessage(), e);
        }
    }
}
