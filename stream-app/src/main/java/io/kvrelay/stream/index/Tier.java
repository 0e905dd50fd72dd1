package io.kvrelay.stream.index;

/**
 * Where a worker holds a block, as bits so that one (block, worker) entry can be in several tiers at once (a block
 * offloaded to CPU while still on GPU). {@code medium} is vLLM's {@code BlockStored.medium}: null means GPU.
 */
public final class Tier {
    public static final int GPU = 1;
    public static final int CPU = 2;
    public static final int OTHER = 4;
    /** Every tier: remove(worker, hash, ALL) drops the entry whatever its tiers. */
    public static final int ALL = GPU | CPU | OTHER;

    private Tier() {
    }

    /** null, "gpu" or "GPU" (any case) → GPU; "cpu" (any case) → CPU; anything else (disk, remote stores) → OTHER. */
    public static int of(String medium) {
        if (medium == null || medium.equalsIgnoreCase("gpu")) {
            return GPU;
        }
        return medium.equalsIgnoreCase("cpu") ? CPU : OTHER;
    }

    /** "GPU", "GPU,CPU", …, in GPU, CPU, OTHER order; "" for no bit. */
    public static String names(int bits) {
        StringBuilder sb = new StringBuilder(13);
        if ((bits & GPU) != 0) {
            sb.append("GPU");
        }
        if ((bits & CPU) != 0) {
            sb.append(sb.length() > 0 ? ",CPU" : "CPU");
        }
        if ((bits & OTHER) != 0) {
            sb.append(sb.length() > 0 ? ",OTHER" : "OTHER");
        }
        return sb.toString();
    }

    static int check(int tiers) {
        if (tiers <= 0 || tiers > ALL) {
            throw new IllegalArgumentException("tier bits must be a non-empty subset of GPU|CPU|OTHER: " + tiers);
        }
        return tiers;
    }
}
