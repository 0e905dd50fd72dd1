package io.kvrelay.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvrelay.schemas.avro.AllBlocksCleared;
import io.kvrelay.schemas.avro.BlockRemoved;
import io.kvrelay.schemas.avro.BlockLocality;
import io.kvrelay.schemas.avro.BlockStored;
import io.kvrelay.schemas.avro.ExtraKey;
import io.kvrelay.schemas.avro.ExtraKeyKind;
import io.kvrelay.schemas.avro.EventOrigin;
import io.kvrelay.schemas.avro.KvEventBatch;
import io.kvrelay.schemas.avro.WorkerReset;
import io.kvrelay.schemas.avro.WorkerResetReason;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.apache.avro.SchemaNormalization;
import org.junit.jupiter.api.Test;

class AvroCodecTest {

    static KvEventBatch sampleBatch() {
        BlockStored stored = new BlockStored(List.of(-1L, 42L), 7L, List.of(1, 2, 3, 4, 5, 6, 7, 8), 4,
                null, "GPU", "sql-adapter", 0, "full_attention", null, 1,
                List.of(List.of(new ExtraKey(ExtraKeyKind.LORA, "sql-adapter", null, null),
                        new ExtraKey(ExtraKeyKind.CACHE_SALT, "s1", null, null)), List.of()),
                BlockLocality.LOCAL, null);
        return KvEventBatch.newBuilder()
                .setNamespace("ns").setService("svc").setPod("pod-0").setPodIndex(0).setDpRank(1)
                .setModel("m").setTopic("kv@10.0.0.5@m").setSequence(12).setOrigin(EventOrigin.LIVE)
                .setPublishedAtMicros(1_757_500_000_250_000L).setReceivedAtMicros(1_757_500_000_251_000L)
                .setSkippedEvents(1)
                .setEvents(List.of(stored, new BlockRemoved(List.of(-1L), "GPU", null, BlockLocality.REMOTE, "peer"), new AllBlocksCleared(),
                        new WorkerReset(WorkerResetReason.UNRECOVERABLE_GAP, 11L, 20L, "replay buffer exhausted")))
                .setPayloadDigest(0x1234_5678_9abc_def0L).setPublisherId(ByteBuffer.wrap(new byte[16]))
                .build();
    }

    @Test
    void shouldRoundTripEveryEventType() throws IOException {
        AvroCodec<KvEventBatch> codec = AvroCodec.kvEvents();
        KvEventBatch batch = sampleBatch();

        assertThat(codec.decode(codec.encode(batch))).isEqualTo(batch);
    }

    @Test
    void shouldWriteTheSingleObjectMarkerAndFingerprint() {
        byte[] bytes = AvroCodec.kvEvents().encode(sampleBatch());

        assertThat(bytes[0]).isEqualTo((byte) 0xC3);
        assertThat(bytes[1]).isEqualTo((byte) 0x01);
        long fingerprint = ByteBuffer.wrap(bytes, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertThat(fingerprint).isEqualTo(SchemaNormalization.parsingFingerprint64(KvEventBatch.getClassSchema()));
    }

    @Test
    void shouldRejectBytesWithoutTheMarker() {
        assertThatThrownBy(() -> AvroCodec.kvEvents().decode(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}))
                .isInstanceOf(IOException.class);
    }

    @Test
    void shouldRejectAnotherTopicsRecord() {
        byte[] status = AvroCodec.deadLetters().encode(io.kvrelay.schemas.avro.DeadLetter.newBuilder()
                .setNamespace("ns").setService("s").setPod("p").setFrames(List.of())
                .setErrorKind(io.kvrelay.schemas.avro.DeadLetterKind.DECODE_ERROR).setErrorMessage("x")
                .setAtMicros(1).build());

        assertThatThrownBy(() -> AvroCodec.kvEvents().decode(status)).isInstanceOf(IOException.class);
    }
}
