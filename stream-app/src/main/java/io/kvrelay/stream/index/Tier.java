package io.kvrelay.stream.index;

/**
 * Where a worker holds a block, as bits so that one (block, worker) entry can be in several tiers at once (a block
 * offloaded to CPU while still on GPU). {@code medium} is vLLM's {@code BlockStored.medium}: null means GPU.
 *
 * <p>The three local tiers, in falling worth to a request: {@link #GPU} (no copy), {@link #CPU} (host memory, copied
 * back) and {@link #STORAGE} (disk or an offload store, read back). {@link #REMOTE} is not a tier of the worker's
 * cache: it marks an engine hash the worker announced with locality REMOTE (held elsewhere, relative to the pod). Such
 * an entry keeps the engine hash → block key mapping that chaining needs, and no holder on the key side: it never
 * counts as the worker holding the block.
 */
public final class Tier {
    public static final int GPU = 1;
    public static final int CPU = 2;
    public static final int STORAGE = 4;
    /** Every local tier: remove(worker, hash, ALL) drops whatever the worker holds of the entry. */
    public static final int ALL = GPU | CPU | STORAGE;
    /** Announced REMOTE: known for chaining only (see the class comment). Not part of {@link #ALL}. */
    public static final int REMOTE = 8;

    private Tier() {
    }

    /**
     * null or "gpu" (any case) → GPU; "cpu" → CPU; "storage", "disk" and anything else → STORAGE: a medium this
     * version does not know is not assumed to be memory, so it counts as the least worth (see {@link #known}).
     */
    public static int of(String medium) {
        if (medium == null || medium.equalsIgnoreCase("gpu")) {
            return GPU;
        }
        return medium.equalsIgnoreCase("cpu") ? CPU : STORAGE;
    }

    /** Whether {@link #of} recognises the medium rather than taking STORAGE for an unknown one. */
    public static boolean known(String medium) {
        return medium == null || medium.equalsIgnoreCase("gpu") || medium.equalsIgnoreCase("cpu")
                || medium.equalsIgnoreCase("storage") || medium.equalsIgnoreCase("disk");
    }

    /** "GPU", "GPU,CPU", …, in GPU, CPU, STORAGE, REMOTE order; "" for no bit. */
    public static String names(int bits) {
        StringBuilder sb = new StringBuilder(24);
        append(sb, bits, GPU, "GPU");
        append(sb, bits, CPU, "CPU");
        append(sb, bits, STORAGE, "STORAGE");
        append(sb, bits, REMOTE, "REMOTE");
        return sb.toString();
    }

    private static void append(StringBuilder sb, int bits, int bit, String name) {
        if ((bits & bit) != 0) {
            sb.append(sb.length() > 0 ? "," : "").append(name);
        }
    }

    /** The local tiers of the bits (without {@link #REMOTE}). */
    static int local(int bits) {
        return bits & ALL;
    }

    static int check(int tiers) {
        if (tiers <= 0 || tiers > (ALL | REMOTE)) {
            throw new IllegalArgumentException(
                    "tier bits must be a non-empty subset of GPU|CPU|STORAGE|REMOTE: " + tiers);
        }
        return tiers;
    }
}
