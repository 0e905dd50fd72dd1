package io.kvrelay.stream.store;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.utils.Bytes;

/**
 * Keys and values of the {@link StoreNames#WORKER_BLOCKS} store.
 *
 * <p>Key: the worker key in UTF-8, a 0 byte, then the engine hash (8 bytes big-endian). Worker keys contain no 0
 * byte, so {@code prefixScan(workerPrefix(w))} yields exactly worker {@code w}'s entries: the reverse index a purge
 * walks instead of scanning the store. Value: the block key (8 bytes) and the entry's bits (1 byte: the local tiers,
 * and {@code Tier.REMOTE} for a block announced REMOTE, kept so that chaining across it survives a restore).
 */
public final class WorkerBlockCodec {
    private WorkerBlockCodec() {
    }

    public static Bytes workerPrefix(String workerKey) {
        byte[] w = workerKey.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[w.length + 1];
        System.arraycopy(w, 0, out, 0, w.length);
        return Bytes.wrap(out);
    }

    public static Bytes key(byte[] workerPrefix, long engineHash) {
        byte[] out = new byte[workerPrefix.length + 8];
        System.arraycopy(workerPrefix, 0, out, 0, workerPrefix.length);
        ByteBuffer.wrap(out, workerPrefix.length, 8).putLong(engineHash);
        return Bytes.wrap(out);
    }

    public static String workerOf(Bytes key) {
        byte[] k = key.get();
        return new String(k, 0, k.length - 9, StandardCharsets.UTF_8);
    }

    public static long engineHashOf(Bytes key) {
        byte[] k = key.get();
        return ByteBuffer.wrap(k, k.length - 8, 8).getLong();
    }

    public static byte[] value(long blockKey, int tiers) {
        byte[] out = new byte[9];
        ByteBuffer.wrap(out).putLong(blockKey).put((byte) tiers);
        return out;
    }

    public static long blockKeyOf(byte[] value) {
        return ByteBuffer.wrap(value).getLong();
    }

    public static int tiersOf(byte[] value) {
        return value[8] & 0xFF;
    }
}
