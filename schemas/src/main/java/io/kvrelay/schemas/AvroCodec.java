package io.kvrelay.schemas;

import io.kvrelay.schemas.avro.DeadLetter;
import io.kvrelay.schemas.avro.KvEventBatch;
import io.kvrelay.schemas.avro.PodStatus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import org.apache.avro.Schema;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.SchemaStore;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.util.ClassSecurityValidator;

/**
 * Avro single-object encoding ({@code C3 01}, 8-byte little-endian CRC-64-AVRO fingerprint, body) for one record type.
 *
 * <p>The decoder knows the current schema and every published earlier version ({@link SchemaHistory}), so records
 * written by older producers still decode. Instances are not thread-safe (the encoder reuses its buffer): one per thread.
 */
public final class AvroCodec<T extends SpecificRecord> {

    static {
        trustGeneratedClasses();
    }

    private final BinaryMessageEncoder<T> encoder;
    private final BinaryMessageDecoder<T> decoder;
    private final Schema schema;

    private AvroCodec(Schema schema) {
        this.schema = schema;
        SpecificData model = SpecificData.get();
        this.encoder = new BinaryMessageEncoder<>(model, schema);
        SchemaStore.Cache store = new SchemaStore.Cache();
        SchemaHistory.versionsOf(schema.getFullName()).forEach(store::addSchema);
        this.decoder = new BinaryMessageDecoder<>(model, schema, store);
    }

    public static AvroCodec<KvEventBatch> kvEvents() {
        return new AvroCodec<>(KvEventBatch.getClassSchema());
    }

    public static AvroCodec<DeadLetter> deadLetters() {
        return new AvroCodec<>(DeadLetter.getClassSchema());
    }

    public static AvroCodec<PodStatus> podStatus() {
        return new AvroCodec<>(PodStatus.getClassSchema());
    }

    public Schema schema() {
        return schema;
    }

    public byte[] encode(T record) {
        try {
            ByteBuffer buf = encoder.encode(record);
            byte[] out = new byte[buf.remaining()];
            buf.get(out);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode " + schema.getName(), e);
        }
    }

    /**
     * @throws IOException if the bytes are not single-object encoded, carry an unknown schema fingerprint, or their body
     *                     is corrupt; never another exception type, so a consumer can dead-letter what it cannot read
     */
    public T decode(byte[] bytes) throws IOException {
        try {
            return decoder.decode(bytes);
        } catch (IOException e) {
            throw e;
        } catch (RuntimeException e) {
            // Avro reports bad headers and unknown fingerprints unchecked, and corrupt bodies as whatever the reader hit.
            throw new IOException("not a readable " + schema.getName() + " record: " + e, e);
        }
    }

    /**
     * Avro 1.12.2 refuses to instantiate classes it was not told to trust (AVRO-4189), generated ones included.
     * Trust our generated package once, here, so no caller needs a system property.
     */
    public static synchronized void trustGeneratedClasses() {
        ClassSecurityValidator.setGlobal(ClassSecurityValidator.composite(
                ClassSecurityValidator.DEFAULT,
                ClassSecurityValidator.builder()
                        .add(KvEventBatch.class).add(DeadLetter.class).add(PodStatus.class)
                        .add(io.kvrelay.schemas.avro.BlockStored.class)
                        .add(io.kvrelay.schemas.avro.BlockRemoved.class)
                        .add(io.kvrelay.schemas.avro.AllBlocksCleared.class)
                        .add(io.kvrelay.schemas.avro.WorkerReset.class)
                        .add(io.kvrelay.schemas.avro.WorkerStatus.class)
                        .build()));
    }
}
