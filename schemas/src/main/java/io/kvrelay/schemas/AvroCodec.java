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
    /** Fingerprints of the current schema and every published version: what {@link #accepts} recognises. */
    private final java.util.Set<Long> fingerprints = new java.util.HashSet<>();

    private AvroCodec(Schema schema) {
        this.schema = schema;
        SpecificData model = SpecificData.get();
        this.encoder = new BinaryMessageEncoder<>(model, schema);
        SchemaStore.Cache store = new SchemaStore.Cache();
        SchemaHistory.versionsOf(schema.getFullName()).forEach(s -> {
            store.addSchema(s);
            fingerprints.add(org.apache.avro.SchemaNormalization.parsingFingerprint64(s));
        });
        fingerprints.add(org.apache.avro.SchemaNormalization.parsingFingerprint64(schema));
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

    public static AvroCodec<io.kvrelay.schemas.avro.PodCommand> podCommands() {
        return new AvroCodec<>(io.kvrelay.schemas.avro.PodCommand.getClassSchema());
    }

    public static AvroCodec<io.kvrelay.schemas.avro.RouteDecision> routeDecisions() {
        return new AvroCodec<>(io.kvrelay.schemas.avro.RouteDecision.getClassSchema());
    }

    public static AvroCodec<io.kvrelay.schemas.avro.PodStateEntry> podStates() {
        return new AvroCodec<>(io.kvrelay.schemas.avro.PodStateEntry.getClassSchema());
    }

    /**
     * The schema fingerprint of a single-object encoded record (CRC-64-AVRO, as {@code SchemaNormalization}
     * computes it), or 0 when the bytes do not start with the single-object marker. Lets a reader of a topic that
     * carries several record types pick the codec.
     */
    public static long fingerprintOf(byte[] bytes) {
        if (bytes == null || bytes.length < 10 || bytes[0] != (byte) 0xC3 || bytes[1] != 0x01) {
            return 0L;
        }
        return ByteBuffer.wrap(bytes, 2, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
    }

    /** This codec's current schema fingerprint (what {@link #fingerprintOf} returns for records it writes). */
    public long fingerprint() {
        return org.apache.avro.SchemaNormalization.parsingFingerprint64(schema);
    }

    /** True when the record was written with the current schema or any published version of it. */
    public boolean accepts(byte[] bytes) {
        long fp = fingerprintOf(bytes);
        return fp != 0L && fingerprints.contains(fp);
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
        // The whole generated package, enums and nested records included: a list of classes went stale once already
        // (enums were missing, and only tests that set the system property passed).
        String ours = KvEventBatch.class.getPackageName();
        ClassSecurityValidator.setGlobal(ClassSecurityValidator.composite(
                ClassSecurityValidator.DEFAULT, c -> ours.equals(c.getPackageName())));
    }
}
