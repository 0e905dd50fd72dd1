package io.kvrelay.schemas;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.avro.Schema;
import org.apache.avro.generic.PrimitivesArrays;
import org.junit.jupiter.api.Test;

/** The fast encoder must write exactly what Avro writes, for records of every shape. */
class KvEventBatchEncoderTest {
    private static final Schema LONGS = BlockStored.getClassSchema().getField("blockHashes").schema();
    private static final Schema INTS = BlockStored.getClassSchema().getField("tokenIds").schema();

    @Test
    void shouldWriteTheSameBytesAsAvroForTheSampleBatch() {
        KvEventBatch b = AvroCodecTest.sampleBatch();

        assertThat(new KvEventBatchEncoder().encode(b)).isEqualTo(AvroCodec.kvEvents().encode(b));
    }

    @Test
    void shouldWriteTheSameBytesAsAvroForRandomRecords() throws Exception {
        SplittableRandom rnd = new SplittableRandom(7);
        KvEventBatchEncoder fast = new KvEventBatchEncoder();
        AvroCodec<KvEventBatch> avro = AvroCodec.kvEvents();
        for (int i = 0; i < 2_000; i++) {
            KvEventBatch b = randomBatch(rnd);
            byte[] bytes = fast.encode(b);
            assertThat(bytes).as("record %d", i).isEqualTo(avro.encode(b));
            assertThat(avro.decode(bytes)).isEqualTo(b);
        }
    }

    private static KvEventBatch randomBatch(SplittableRandom r) {
        List<Object> events = new ArrayList<>();
        int n = r.nextInt(6);
        for (int i = 0; i < n; i++) {
            switch (r.nextInt(4)) {
                case 0 -> events.add(new BlockStored(longs(r), r.nextBoolean() ? null : r.nextLong(), ints(r),
                        r.nextInt(1, 64), maybeInt(r), maybeString(r), maybeString(r), maybeInt(r), maybeString(r),
                        maybeInt(r), maybeInt(r), extraKeys(r), locality(r), maybeString(r)));
                case 1 -> events.add(new BlockRemoved(longs(r), maybeString(r), maybeInt(r), locality(r),
                        maybeString(r)));
                case 2 -> events.add(new AllBlocksCleared());
                default -> events.add(new WorkerReset(WorkerResetReason.values()[r.nextInt(4)],
                        r.nextBoolean() ? null : r.nextLong(), r.nextBoolean() ? null : r.nextLong(), "détail " + r.nextInt()));
            }
        }
        return new KvEventBatch("ns-" + r.nextInt(9), "svc", "pod-é" + r.nextInt(), maybeInt(r), r.nextInt(-2, 8),
                maybeString(r), r.nextBoolean() ? "" : "kv@10.0.0.5@m", r.nextLong(), EventOrigin.values()[r.nextInt(4)],
                r.nextBoolean() ? null : r.nextLong(), r.nextLong(), r.nextInt(0, 3), events, r.nextBoolean() ? null : r.nextLong(),
                r.nextBoolean() ? null : ByteBuffer.wrap(bytes(r, 16)));
    }

    private static BlockLocality locality(SplittableRandom r) {
        return r.nextBoolean() ? null : BlockLocality.values()[r.nextInt(BlockLocality.values().length)];
    }

    private static List<List<ExtraKey>> extraKeys(SplittableRandom r) {
        if (r.nextBoolean()) {
            return null;
        }
        List<List<ExtraKey>> perBlock = new ArrayList<>();
        for (int b = r.nextInt(4); b > 0; b--) {
            List<ExtraKey> keys = new ArrayList<>();
            for (int k = r.nextInt(3); k > 0; k--) {
                keys.add(new ExtraKey(ExtraKeyKind.values()[r.nextInt(ExtraKeyKind.values().length)], maybeString(r),
                        r.nextBoolean() ? null : ByteBuffer.wrap(bytes(r, r.nextInt(40))),
                        r.nextBoolean() ? null : r.nextLong()));
            }
            perBlock.add(keys);
        }
        return perBlock;
    }

    private static byte[] bytes(SplittableRandom r, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) r.nextInt();
        }
        return b;
    }

    private static List<Long> longs(SplittableRandom r) {
        int n = r.nextInt(20);
        if (r.nextBoolean()) {
            PrimitivesArrays.LongArray a = new PrimitivesArrays.LongArray(n, LONGS);
            for (int i = 0; i < n; i++) {
                a.add(i, r.nextLong());
            }
            return a;
        }
        List<Long> l = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            l.add(r.nextLong());
        }
        return l;
    }

    private static List<Integer> ints(SplittableRandom r) {
        int n = r.nextInt(300);
        if (r.nextBoolean()) {
            PrimitivesArrays.IntArray a = new PrimitivesArrays.IntArray(n, INTS);
            for (int i = 0; i < n; i++) {
                a.add(i, r.nextInt());
            }
            return a;
        }
        List<Integer> l = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            l.add(r.nextInt(-5, 200_000));
        }
        return l;
    }

    private static Integer maybeInt(SplittableRandom r) {
        return r.nextBoolean() ? null : r.nextInt();
    }

    private static String maybeString(SplittableRandom r) {
        return r.nextBoolean() ? null : "s" + r.nextInt(1000);
    }
}
