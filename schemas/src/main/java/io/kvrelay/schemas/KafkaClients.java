package io.kvrelay.schemas;

import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The one place every part makes its Kafka clients (producers, consumers, admin clients, the Streams app): the cluster
 * and the operator's client settings (security.protocol, SASL, SSL, client.dns.lookup, config providers such as
 * {@code ${env:KAFKA_PASSWORD}}, tuning) applied alike to each, so a secured cluster needs its settings written once
 * per part, and no client of any part is left without them.
 *
 * <p>Order: the caller's defaults for its client (acks, timeouts), then the operator's settings that kind of client
 * knows (an admin client is not given {@code acks}), then what the caller's correctness rests on ({@code fixed}: no
 * auto-commit for a reader that seeks), then the wiring: the cluster, the client id, the byte-array (de)serializers
 * every kvrelay client uses.
 *
 * @param bootstrapServers the cluster
 * @param properties       the operator's client settings; never {@code bootstrap.servers} (that is the cluster above)
 */
public record KafkaClients(String bootstrapServers, Map<String, String> properties) {
    /** Client settings whose values are secrets: shown as "[hidden]" by {@link #toString()}. */
    private static final Set<String> SECRET_WORDS = Set.of("password", "jaas", "secret", "token", "credential");

    private static final Set<String> PRODUCER_KEYS = ProducerConfig.configNames();

    public KafkaClients {
        if (bootstrapServers == null || bootstrapServers.isBlank()) {
            throw new IllegalArgumentException("bootstrapServers is required (host:port[,host:port...])");
        }
        properties = properties == null ? Map.of() : Map.copyOf(properties);
        if (properties.containsKey("bootstrap.servers")) {
            throw new IllegalArgumentException("bootstrap.servers belongs in bootstrapServers, not in the client "
                    + "settings");
        }
    }

    public static KafkaClients of(String bootstrapServers) {
        return new KafkaClients(bootstrapServers, Map.of());
    }

    public Properties producerProperties(String clientId, Map<String, ?> defaults) {
        return producerProperties(clientId, defaults, Map.of());
    }

    public Properties producerProperties(String clientId, Map<String, ?> defaults, Map<String, ?> fixed) {
        Properties p = layered(defaults, PRODUCER_KEYS, fixed);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return p;
    }

    public Producer<byte[], byte[]> producer(String clientId, Map<String, ?> defaults) {
        return new KafkaProducer<>(producerProperties(clientId, defaults));
    }

    public Properties consumerProperties(String clientId, Map<String, ?> defaults) {
        return consumerProperties(clientId, defaults, Map.of());
    }

    public Properties consumerProperties(String clientId, Map<String, ?> defaults, Map<String, ?> fixed) {
        Properties p = layered(defaults, ConsumerConfig.configNames(), fixed);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return p;
    }

    public Consumer<byte[], byte[]> consumer(String clientId, Map<String, ?> defaults) {
        return consumer(clientId, defaults, Map.of());
    }

    public Consumer<byte[], byte[]> consumer(String clientId, Map<String, ?> defaults, Map<String, ?> fixed) {
        return new KafkaConsumer<>(consumerProperties(clientId, defaults, fixed));
    }

    public Admin admin(String clientId, Map<String, ?> defaults) {
        Properties p = layered(defaults, AdminClientConfig.configNames(), Map.of());
        p.put(AdminClientConfig.CLIENT_ID_CONFIG, clientId);
        return Admin.create(p);
    }

    /**
     * Kafka Streams' settings: every operator setting (Streams routes {@code producer.}, {@code consumer.},
     * {@code admin.} prefixed ones to its inner clients itself).
     */
    public Properties streamsProperties(Map<String, ?> defaults) {
        Properties p = new Properties();
        p.putAll(defaults);
        p.putAll(properties);
        p.put("bootstrap.servers", bootstrapServers);
        return p;
    }

    private Properties layered(Map<String, ?> defaults, Set<String> known, Map<String, ?> fixed) {
        Properties p = new Properties();
        p.putAll(defaults);
        properties.forEach((k, v) -> {
            // config.providers(.*) are read by every client, though no client's ConfigDef lists them; interceptors
            // are classes of one kind of client (a producer's would break a consumer), so only producers get them.
            boolean shared = !k.equals("interceptor.classes") || known == PRODUCER_KEYS;
            if ((known.contains(k) && shared) || k.startsWith("config.providers")) {
                p.put(k, v);
            }
        });
        p.putAll(fixed);
        p.put("bootstrap.servers", bootstrapServers);
        return p;
    }

    /** The cluster and the settings, secrets hidden: safe to log. */
    @Override
    public String toString() {
        Map<String, String> shown = new TreeMap<>();
        properties.forEach((k, v) -> shown.put(k, SECRET_WORDS.stream().anyMatch(k.toLowerCase()::contains)
                ? "[hidden]" : v));
        return "KafkaClients[bootstrapServers=" + bootstrapServers + ", properties=" + shown + "]";
    }
}
