package io.kvrelay.bench.decode;

import io.kvrelay.ingest.decode.DecodeException;
import io.kvrelay.ingest.decode.DecodedBatch;
import io.kvrelay.ingest.decode.KvEventDecoder;
import java.io.IOException;
import java.math.BigInteger;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessageFormat;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.core.buffer.ArrayBufferInput;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Our decoder (msgpack into Avro records) against the least a msgpack-core reader can do with the same bytes: a
 * hand-written traversal that knows the layout and reads every value with a reused unpacker, building nothing.
 * Both run on the same payloads in the same run; ops/s = batches/s. Target: kvrelayDecoder ≥ 0.7 × plain.
 *
 * <p>Payloads: {@code [ts, [4 × BlockStored of 4 blocks × 16 tokens], rank]} with uint64 hashes, in three layouts:
 * ARRAY_SHORT (tag + 6 fields, up to medium), ARRAY_FULL (tag + 11 fields through kv_cache_spec_sliding_window),
 * MAP_EVENTS (vLLM ≥ #42892: tagged maps, nil defaults omitted). Eight different batches rotate per layout.
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar DecoderBenchmark -f 1 -wi 3 -w 2 -i 5 -r 2</pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Thread)
public class DecoderBenchmark {
    static final int EVENTS = 4, BLOCKS = 4, BLOCK_SIZE = 16, BATCHES = 8;

    @Param({"ARRAY_SHORT", "ARRAY_FULL", "MAP_EVENTS"})
    public String layout;

    private byte[][] payloads;
    private int next;
    private KvEventDecoder decoder;
    private ArrayBufferInput input;
    private MessageUnpacker unpacker;
    private final byte[] scratch = new byte[16];

    @Setup
    public void setup() throws IOException, DecodeException {
        Random rnd = new Random(42);
        payloads = new byte[BATCHES][];
        for (int i = 0; i < BATCHES; i++) {
            payloads[i] = batch(layout, rnd);
        }
        decoder = new KvEventDecoder();
        input = new ArrayBufferInput(payloads[0]);
        unpacker = MessagePack.newDefaultUnpacker(input);
        // Both paths must see the same data; fail fast if the decoder rejects or misreads a payload.
        for (byte[] p : payloads) {
            DecodedBatch b = decoder.decode(p);
            if (b.events().size() != EVENTS || b.dataParallelRank() != 0) {
                throw new IllegalStateException("unexpected decode of " + layout + ": " + b);
            }
        }
    }

    private byte[] nextPayload() {
        byte[] p = payloads[next];
        next = (next + 1) & (BATCHES - 1);
        return p;
    }

    @Benchmark
    public DecodedBatch kvrelayDecoder() throws DecodeException {
        return decoder.decode(nextPayload());
    }

    @Benchmark
    public void plainMsgpackTraversal(Blackhole bh) throws IOException {
        byte[] p = nextPayload();
        input.reset(p);
        unpacker.reset(input);
        MessageUnpacker u = unpacker;
        long sum = 0;
        int top = u.unpackArrayHeader();
        sum += (long) u.unpackDouble();
        int events = u.unpackArrayHeader();
        for (int e = 0; e < events; e++) {
            if (u.getNextFormat() == MessageFormat.FIXMAP) {
                int pairs = u.unpackMapHeader();
                for (int i = 0; i < pairs; i++) {
                    String key = u.unpackString();
                    sum += key.length();
                    switch (key) {
                        case "block_hashes": sum += hashes(u); break;
                        case "parent_block_hash": sum += hash(u); break;
                        case "token_ids": sum += tokens(u); break;
                        default: sum += any(u); break;
                    }
                }
            } else {
                int fields = u.unpackArrayHeader();
                sum += u.unpackString().length();
                sum += hashes(u);
                sum += hash(u);
                sum += tokens(u);
                for (int i = 4; i < fields; i++) {
                    sum += any(u);
                }
            }
        }
        for (int i = 2; i < top; i++) {
            sum += any(u);
        }
        bh.consume(sum);
    }

    private long hashes(MessageUnpacker u) throws IOException {
        long sum = 0;
        int n = u.unpackArrayHeader();
        for (int i = 0; i < n; i++) {
            sum += hash(u);
        }
        return sum;
    }

    /** uint64 without BigInteger: the cf byte and 8 payload bytes, read raw. */
    private long hash(MessageUnpacker u) throws IOException {
        MessageFormat f = u.getNextFormat();
        if (f == MessageFormat.UINT64) {
            u.readPayload(scratch, 0, 9);
            return scratch[1] ^ scratch[8];
        }
        if (f == MessageFormat.NIL) {
            u.unpackNil();
            return 0;
        }
        return u.unpackLong();
    }

    private long tokens(MessageUnpacker u) throws IOException {
        long sum = 0;
        int n = u.unpackArrayHeader();
        for (int i = 0; i < n; i++) {
            sum += u.unpackInt();
        }
        return sum;
    }

    /** Any other value (nil, small ints, strings, the extra_keys list of nils). */
    private long any(MessageUnpacker u) throws IOException {
        switch (u.getNextFormat().getValueType()) {
            case NIL: u.unpackNil(); return 0;
            case INTEGER: return u.unpackLong();
            case FLOAT: return (long) u.unpackDouble();
            case STRING: return u.unpackString().length();
            case ARRAY: {
                long sum = 0;
                int n = u.unpackArrayHeader();
                for (int i = 0; i < n; i++) {
                    sum += any(u);
                }
                return sum;
            }
            default: u.skipValue(); return 1;
        }
    }

    // ---- payloads, packed like msgspec does (smallest int forms, float64 ts, uint64 hashes as cf)

    static byte[] batch(String layout, Random rnd) throws IOException {
        MessageBufferPacker p = MessagePack.newDefaultBufferPacker();
        p.packArrayHeader(3).packDouble(1757500000.25 + rnd.nextInt(1000)).packArrayHeader(EVENTS);
        for (int e = 0; e < EVENTS; e++) {
            switch (layout) {
                case "ARRAY_SHORT": arrayEvent(p, rnd, false); break;
                case "ARRAY_FULL": arrayEvent(p, rnd, true); break;
                case "MAP_EVENTS": mapEvent(p, rnd); break;
                default: throw new IllegalArgumentException(layout);
            }
        }
        p.packInt(0);
        return p.toByteArray();
    }

    private static void arrayEvent(MessageBufferPacker p, Random rnd, boolean full) throws IOException {
        p.packArrayHeader(full ? 12 : 7).packString("BlockStored");
        packHashes(p, rnd);
        packUint64(p, rnd);
        packTokens(p, rnd);
        p.packInt(BLOCK_SIZE).packNil().packString("GPU");
        if (full) {
            p.packNil();                                        // lora_name
            p.packArrayHeader(BLOCKS);                          // extra_keys: one nil per block
            for (int b = 0; b < BLOCKS; b++) {
                p.packNil();
            }
            p.packInt(0).packString("full_attention").packNil();
        }
    }

    private static void mapEvent(MessageBufferPacker p, Random rnd) throws IOException {
        p.packMapHeader(11).packString("type").packString("BlockStored");
        p.packString("block_hashes");
        packHashes(p, rnd);
        p.packString("parent_block_hash");
        packUint64(p, rnd);
        p.packString("token_ids");
        packTokens(p, rnd);
        p.packString("block_size").packInt(BLOCK_SIZE);
        p.packString("lora_id").packNil();
        p.packString("medium").packString("GPU");
        p.packString("lora_name").packNil();
        p.packString("extra_keys").packArrayHeader(BLOCKS);
        for (int b = 0; b < BLOCKS; b++) {
            p.packNil();
        }
        p.packString("group_idx").packInt(0);
        p.packString("kv_cache_spec_kind").packString("full_attention");
    }

    private static void packHashes(MessageBufferPacker p, Random rnd) throws IOException {
        p.packArrayHeader(BLOCKS);
        for (int b = 0; b < BLOCKS; b++) {
            packUint64(p, rnd);
        }
    }

    /**
     * Uniform random 64 bits, unsigned, like vLLM's hashes: msgspec writes all of them (≥ 2^32 in practice) as cf.
     * packLong would write those ≥ 2^63 as a negative int64 (d3), so they go through packBigInteger.
     */
    private static void packUint64(MessageBufferPacker p, Random rnd) throws IOException {
        long h = rnd.nextLong() | (1L << 40);
        if (h < 0) {
            p.packBigInteger(new BigInteger(Long.toUnsignedString(h)));
        } else {
            p.packLong(h);
        }
    }

    private static void packTokens(MessageBufferPacker p, Random rnd) throws IOException {
        p.packArrayHeader(BLOCKS * BLOCK_SIZE);
        for (int t = 0; t < BLOCKS * BLOCK_SIZE; t++) {
            p.packInt(rnd.nextInt(150_000));
        }
    }
}
