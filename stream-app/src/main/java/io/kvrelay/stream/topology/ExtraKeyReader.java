package io.kvrelay.stream.topology;

import io.kvrelay.schemas.BlockKeys;
import io.kvrelay.schemas.avro.BlockStored;
import io.kvrelay.schemas.avro.ExtraKey;
import io.kvrelay.schemas.avro.ExtraKeyKind;
import io.kvrelay.stream.metrics.StreamMetrics;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * Turns a {@code BlockStored}'s {@code extraKeys} into the per-block extra key {@code x[i]} of {@link BlockKeys}, the
 * same value the router derives from a request's LoRA, {@code cacheSalt} and {@code multimodal} items:
 * <ul>
 *   <li>LORA: the adapter ({@code loraName} when the event has it, else the typed key's value);</li>
 *   <li>CACHE_SALT: the salt of that block (vLLM puts it on a prompt's first block only);</li>
 *   <li>MM: the identifiers of the items on that block, in the order sent (vLLM's: by position). Their offsets do not
 *       take part: the router knows an item by its span, and the tokens already fix where it sits;</li>
 *   <li>LEGACY (untyped, older vLLM): a value equal to the LoRA name or id is the LoRA; an empty one is nothing.</li>
 * </ul>
 * A block with a key the router cannot reproduce (PROMPT_EMBEDS, an UNKNOWN_EXTRA_KEY, another LEGACY value, an MM key
 * without identifier, two salts, a LoRA that contradicts {@code loraName}), or a list whose length is not the block
 * count, cannot be keyed: it and the event's later blocks, which chain from it, are skipped and counted by reason,
 * never indexed under a key that would match prompts they do not hold.
 *
 * <p>Single-threaded (one per {@link EventApplier}); its buffers are reused.
 */
final class ExtraKeyReader {
    private static final HexFormat HEX = HexFormat.of();

    private final StreamMetrics metrics;
    private long[] extras = new long[64];
    private long[] idKeys = new long[8];

    ExtraKeyReader(StreamMetrics metrics) {
        this.metrics = metrics;
    }

    /** The extra keys of the blocks {@link #read} accepted; valid until the next call. */
    long[] extras() {
        return extras;
    }

    /**
     * Reads the event's extra keys for its {@code n} blocks. Returns -1 when every block's extra key is the LoRA key
     * of {@code loraName} (nothing else takes part: the usual case, and the only one before typed keys); otherwise
     * fills {@link #extras()} and returns how many leading blocks can be keyed, having counted the others.
     */
    int read(BlockStored e, int n) {
        List<List<ExtraKey>> perBlock = e.getExtraKeys();
        if (perBlock == null) {
            return -1;
        }
        if (perBlock.size() != n) {
            metrics.unusableExtraKeyBlocks.increment(n);
            return 0;
        }
        String eventLora = e.getLoraName() == null || e.getLoraName().isEmpty() ? null : e.getLoraName();
        String lora = eventLora != null ? eventLora : typedLora(perBlock);
        String loraId = e.getLoraId() == null ? null : e.getLoraId().toString();
        long loraKey = BlockKeys.extraKey(lora);
        boolean uniform = eventLora != null || lora == null; // else the typed LoRA changes every block's key
        if (extras.length < n) {
            extras = new long[Math.max(n, 2 * extras.length)];
        }
        for (int i = 0; i < n; i++) {
            List<ExtraKey> keys = perBlock.get(i);
            long salt = 0L;
            int count = 0;
            int size = keys == null ? 0 : keys.size();
            for (int j = 0; j < size; j++) {
                ExtraKey k = keys.get(j);
                String v = k.getValue();
                switch (k.getKind()) {
                    case LORA, LEGACY -> {
                        if (v != null && !v.isEmpty() && !v.equals(lora)
                                && !(k.getKind() == ExtraKeyKind.LEGACY && v.equals(loraId))) {
                            return skip(i, n, false);
                        }
                    }
                    case CACHE_SALT -> {
                        if (v != null && !v.isEmpty()) {
                            if (salt != 0L) {
                                return skip(i, n, false);
                            }
                            salt = BlockKeys.stringKey(v);
                        }
                    }
                    case MM -> {
                        String id = v != null ? v : k.getDigest() == null ? null : hex(k.getDigest());
                        if (id == null || id.isEmpty()) {
                            return skip(i, n, false);
                        }
                        if (count == idKeys.length) {
                            idKeys = Arrays.copyOf(idKeys, 2 * count);
                        }
                        idKeys[count++] = BlockKeys.stringKey(id);
                    }
                    case PROMPT_EMBEDS -> {
                        return skip(i, n, true);
                    }
                    default -> {
                        return skip(i, n, false);
                    }
                }
            }
            uniform &= salt == 0L && count == 0;
            extras[i] = BlockKeys.blockExtra(loraKey, salt, idKeys, 0, count);
        }
        return uniform ? -1 : n;
    }

    /** Blocks i..n-1 cannot be keyed: counted by reason; returns i, the blocks that can. */
    private int skip(int i, int n, boolean promptEmbeds) {
        (promptEmbeds ? metrics.promptEmbedsBlocks : metrics.unusableExtraKeyBlocks).increment(n - i);
        return i;
    }

    /** The first typed LoRA name of the event, for publishers that send it only there. */
    private static String typedLora(List<List<ExtraKey>> perBlock) {
        for (List<ExtraKey> keys : perBlock) {
            if (keys != null) {
                for (ExtraKey k : keys) {
                    if (k.getKind() == ExtraKeyKind.LORA && k.getValue() != null
                            && !k.getValue().isEmpty()) {
                        return k.getValue();
                    }
                }
            }
        }
        return null;
    }

    private static String hex(ByteBuffer digest) {
        ByteBuffer b = digest.duplicate();
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        return HEX.formatHex(bytes);
    }
}
