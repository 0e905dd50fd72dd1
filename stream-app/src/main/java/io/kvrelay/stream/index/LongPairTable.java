package io.kvrelay.stream.index;

/**
 * Open-addressing hash table from a long key to a long value, with an optional byte per slot. Built for the prefix
 * index's two big maps, where memory per entry and cache misses per operation are the budget:
 * <ul>
 *   <li>key and value are interleaved in one array, so a probe and the value read touch one cache line;</li>
 *   <li>linear probing with backward-shift deletion: no tombstones, so steady insert/evict churn never degrades it;</li>
 *   <li>the capacity is not a power of two (the home slot is a multiply-high range reduction), so the table grows to
 *       a {@value #GROWN_LOAD} load instead of doubling: between {@value #GROWN_LOAD} and {@value #MAX_LOAD} full.</li>
 * </ul>
 * Key 0 marks an empty slot, so it lives in one extra slot past the end (index {@code capacity}).
 *
 * <p>Slot indexes are valid until the next insert (which may resize) or removal (which may shift entries). Not
 * thread-safe: {@link PrefixIndex} serialises writers and excludes readers.
 */
final class LongPairTable {
    static final double MAX_LOAD = 0.8;
    static final double GROWN_LOAD = 0.55;
    private static final long PHI = 0x9E3779B97F4A7C15L;
    private static final int MIN_CAPACITY = 8;

    private final boolean withAux;
    private long[] slots;      // [key, value] per slot; slot `capacity` holds key 0
    private byte[] aux;        // null unless withAux
    private int capacity;
    private int size;
    private int growAt;
    private boolean hasZero;

    LongPairTable(int expected, boolean withAux) {
        this.withAux = withAux;
        allocate(capacityFor(expected));
    }

    private static int capacityFor(int entries) {
        return (int) Math.max(MIN_CAPACITY, Math.ceil(entries / GROWN_LOAD));
    }

    private void allocate(int cap) {
        if (cap > (Integer.MAX_VALUE - 16) / 2) {
            throw new IllegalStateException("table too large: " + cap + " slots");
        }
        capacity = cap;
        slots = new long[2 * (cap + 1)];
        aux = withAux ? new byte[cap + 1] : null;
        growAt = (int) Math.min(cap - 1L, (long) (cap * MAX_LOAD));
    }

    /** Multiply-high range reduction of a Fibonacci hash: uniform for sequential and for random keys. */
    private static int home(long key, int cap) {
        return (int) ((((key * PHI) >>> 32) * cap) >>> 32);
    }

    int size() {
        return size;
    }

    /** One past the last slot index; iterate {@code 0..slotLimit()} with {@link #occupied}. */
    int slotLimit() {
        return capacity + 1;
    }

    boolean occupied(int slot) {
        return slot == capacity ? hasZero : slots[slot << 1] != 0L;
    }

    /** The slot of {@code key}, or -1. */
    int find(long key) {
        if (key == 0L) {
            return hasZero ? capacity : -1;
        }
        long[] s = slots;
        int cap = capacity;
        int i = home(key, cap);
        while (true) {
            long k = s[i << 1];
            if (k == key) {
                return i;
            }
            if (k == 0L) {
                return -1;
            }
            if (++i == cap) {
                i = 0;
            }
        }
    }

    /**
     * Reads the key's home slot and returns it, for no other purpose than pulling its cache line in: a caller with many
     * keys touches them all first, in a loop whose loads do not depend on each other, so their misses overlap
     * (Java has no prefetch instruction). The result must be consumed so the load is not eliminated.
     */
    long touch(long key) {
        return slots[home(key, capacity) << 1];
    }

    /** The slot of {@code key}; if it was absent it is added (value 0, aux 0) and {@code ~slot} is returned. */
    int findOrInsert(long key) {
        if (key == 0L) {
            if (hasZero) {
                return capacity;
            }
            hasZero = true;
            size++;
            return ~capacity;
        }
        if (size >= growAt) {
            resize(capacityFor(size + 1));
        }
        long[] s = slots;
        int cap = capacity;
        int i = home(key, cap);
        while (true) {
            long k = s[i << 1];
            if (k == key) {
                return i;
            }
            if (k == 0L) {
                s[i << 1] = key;
                size++;
                return ~i;
            }
            if (++i == cap) {
                i = 0;
            }
        }
    }

    long keyAt(int slot) {
        return slot == capacity ? 0L : slots[slot << 1];
    }

    long value(int slot) {
        return slots[(slot << 1) + 1];
    }

    void setValue(int slot, long value) {
        slots[(slot << 1) + 1] = value;
    }

    int aux(int slot) {
        return aux[slot];
    }

    void setAux(int slot, int value) {
        aux[slot] = (byte) value;
    }

    /** Removes the entry at {@code slot}, shifting back later entries of its probe run so that no gap breaks it. */
    void removeAt(int slot) {
        size--;
        if (slot == capacity) {
            hasZero = false;
            clearSlot(slot);
            return;
        }
        long[] s = slots;
        int cap = capacity;
        int gap = slot;
        int j = slot;
        while (true) {
            if (++j == cap) {
                j = 0;
            }
            long k = s[j << 1];
            if (k == 0L) {
                break;
            }
            // The entry at j may fill the gap only if the gap lies between its home and j (cyclically).
            int h = home(k, cap);
            int toGap = gap - h < 0 ? gap - h + cap : gap - h;
            int toJ = j - h < 0 ? j - h + cap : j - h;
            if (toGap < toJ) {
                s[gap << 1] = k;
                s[(gap << 1) + 1] = s[(j << 1) + 1];
                if (withAux) {
                    aux[gap] = aux[j];
                }
                gap = j;
            }
        }
        clearSlot(gap);
    }

    private void clearSlot(int slot) {
        slots[slot << 1] = 0L;
        slots[(slot << 1) + 1] = 0L;
        if (withAux) {
            aux[slot] = 0;
        }
    }

    /** Shrinks to the grown load when a purge left the table mostly empty, so memory follows the live entries. */
    void compactIfSparse() {
        if (capacity > 4 * MIN_CAPACITY && size < capacity / 5) {
            resize(capacityFor(size));
        }
    }

    void clear() {
        size = 0;
        hasZero = false;
        allocate(MIN_CAPACITY);
    }

    long bytes() {
        return 16L + 8L * slots.length + (withAux ? 16L + aux.length : 0L) + 32L;
    }

    private void resize(int newCap) {
        long[] old = slots;
        byte[] oldAux = aux;
        int oldCap = capacity;
        allocate(newCap);
        long[] s = slots;
        for (int i = 0; i < oldCap; i++) {
            long k = old[i << 1];
            if (k != 0L) {
                int j = home(k, newCap);
                while (s[j << 1] != 0L) {
                    if (++j == newCap) {
                        j = 0;
                    }
                }
                s[j << 1] = k;
                s[(j << 1) + 1] = old[(i << 1) + 1];
                if (withAux) {
                    aux[j] = oldAux[i];
                }
            }
        }
        // The zero key keeps its reserved slot, which is now at the new capacity.
        s[newCap << 1] = 0L;
        s[(newCap << 1) + 1] = old[(oldCap << 1) + 1];
        if (withAux) {
            aux[newCap] = oldAux[oldCap];
        }
    }
}
