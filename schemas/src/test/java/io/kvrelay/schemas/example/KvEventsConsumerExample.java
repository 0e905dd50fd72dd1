package io.kvrelay.schemas.example;

import io.kvrelay.schemas.avro.AllBlocksCleared;
import io.kvrelay.schemas.avro.BlockRemoved;
import io.kvrelay.schemas.avro.BlockStored;
import io.kvrelay.schemas.avro.KvEventBatch;
import io.kvrelay.schemas.avro.WorkerReset;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.util.ClassSecurityValidator;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * A downstream consumer of {@code kvrelay.kv-events}, as schemas/CONSUMING.md describes it: the plain Kafka consumer,
 * Avro's single-object decoder (it checks the {@code C3 01} marker and finds the writer schema by fingerprint), and
 * the event semantics a consumer must keep: per worker (pod + DP rank), purge on {@code AllBlocksCleared} and on
 * {@code WorkerReset}. It counts the blocks each worker holds by engine hash.
 *
 * <pre>java -cp ... io.kvrelay.schemas.example.KvEventsConsumerExample localhost:9092 kvrelay.kv-events</pre>
 */
public final class KvEventsConsumerExample {
    /** Blocks held per worker ("namespace/service/pod#rank"), by engine hash. */
    private final Map<String, java.util.Set<Long>> held = new TreeMap<>();
    private final BinaryMessageDecoder<KvEventBatch> decoder;
    private long skipped;

    public KvEventsConsumerExample() {
        // Avro 1.12 only instantiates classes it trusts (AVRO-4189): trust the generated package.
        String generated = KvEventBatch.class.getPackageName();
        ClassSecurityValidator.setGlobal(ClassSecurityValidator.composite(
                ClassSecurityValidator.DEFAULT, c -> generated.equals(c.getPackageName())));
        // The current schema; older writer versions would be added with decoder.addSchema(...) from schema-history.
        this.decoder = new BinaryMessageDecoder<>(SpecificData.get(), KvEventBatch.getClassSchema());
    }

    public static void main(String[] args) {
        KvEventsConsumerExample example = new KvEventsConsumerExample();
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "kv-events-example");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
            consumer.subscribe(List.of(args[1]));
            while (true) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofSeconds(1))) {
                    example.accept(r.value());
                }
                example.held.forEach((w, blocks) -> System.out.println(w + " holds " + blocks.size() + " blocks"));
            }
        }
    }

    /** Applies one record's value; an undecodable one (unknown fingerprint, corrupt) is counted and skipped. */
    public void accept(byte[] value) {
        KvEventBatch batch;
        try {
            batch = decoder.decode(value);
        } catch (Exception e) {
            skipped++;
            return;
        }
        String worker = batch.getNamespace() + "/" + batch.getService() + "/" + batch.getPod() + "#"
                + batch.getDpRank();
        java.util.Set<Long> blocks = held.computeIfAbsent(worker, k -> new java.util.HashSet<>());
        for (Object e : batch.getEvents()) {
            if (e instanceof BlockStored s) {
                blocks.addAll(s.getBlockHashes());
            } else if (e instanceof BlockRemoved r) {
                r.getBlockHashes().forEach(blocks::remove);
            } else if (e instanceof AllBlocksCleared || e instanceof WorkerReset) {
                blocks.clear(); // everything this worker held is gone or unknown
            }
        }
    }

    public Map<String, Integer> blocksPerWorker() {
        Map<String, Integer> out = new TreeMap<>();
        held.forEach((w, b) -> out.put(w, b.size()));
        return out;
    }

    public long skipped() {
        return skipped;
    }
}
