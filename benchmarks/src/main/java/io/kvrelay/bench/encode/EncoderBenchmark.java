package io.kvrelay.bench.encode;

import io.kvrelay.ingest.decode.DecodedBatch;
import io.kvrelay.ingest.decode.KvEventDecoder;
import io.kvrelay.schemas.AvroCodec;
import io.kvrelay.schemas.KvEventBatchEncoder;
import io.kvrelay.schemas.avro.EventOrigin;
import io.kvrelay.schemas.avro.KvEventBatch;
import io.kvrelay.sim.wire.HashEncoding;
import io.kvrelay.sim.wire.PayloadEncoder;
import io.kvrelay.sim.wire.PayloadLayout;
import io.kvrelay.sim.wire.SimEvent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The bridge's per-batch work after the socket, on a batch of 4 BlockStored x 4 blocks x 16 tokens: Avro's own
 * single-object encoder against kvrelay's byte-identical {@link KvEventBatchEncoder}, and the whole
 * decode + encode step a bridge worker does per batch. ops/s = batches/s.
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar EncoderBenchmark -f 1 -wi 3 -w 2 -i 5 -r 2</pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Thread)
public class EncoderBenchmark {
    private byte[] payload;
    private KvEventBatch record;
    private final KvEventDecoder decoder = new KvEventDecoder();
    private final KvEventBatchEncoder fast = new KvEventBatchEncoder();
    private final AvroCodec<KvEventBatch> avro = AvroCodec.kvEvents();

    @Setup
    public void setup() throws Exception {
        SplittableRandom rnd = new SplittableRandom(1);
        List<SimEvent> events = new ArrayList<>();
        Long parent = null;
        for (int e = 0; e < 4; e++) {
            long[] hashes = rnd.longs(4).toArray();
            int[] tokens = rnd.ints(64, 0, 128_000).toArray();
            events.add(SimEvent.Stored.gpu(hashes, parent, tokens, 16));
            parent = hashes[3];
        }
        payload = new PayloadEncoder(PayloadLayout.ARRAY_FULL, HashEncoding.INT).encode(1.7575e9, 0, events);
        record = toRecord(decoder.decode(payload));
        if (!Arrays.equals(fast.encode(record), avro.encode(record))) {
            throw new IllegalStateException("encoders disagree");
        }
    }

    private static KvEventBatch toRecord(DecodedBatch d) {
        KvEventBatch b = new KvEventBatch();
        b.setNamespace("prod");
        b.setService("llama-8b");
        b.setPod("llama-8b-0");
        b.setDpRank(0);
        b.setModel("meta-llama/Llama-3.1-8B-Instruct");
        b.setTopic("kv@10.0.0.5@meta-llama/Llama-3.1-8B-Instruct");
        b.setSequence(12345);
        b.setOrigin(EventOrigin.LIVE);
        b.setPublishedAtMicros((long) (d.timestampSeconds() * 1e6));
        b.setReceivedAtMicros(1_757_500_000_000_000L);
        b.setSkippedEvents(d.skippedUnknown());
        b.setEvents(d.events());
        return b;
    }

    @Benchmark
    public byte[] avroEncoder() {
        return avro.encode(record);
    }

    @Benchmark
    public byte[] kvrelayEncoder() {
        return fast.encode(record);
    }

    @Benchmark
    public byte[] decodeAndEncode() throws Exception {
        return fast.encode(toRecord(decoder.decode(payload)));
    }
}
