package io.kvrelay.stream.index;

/**
 * Open-addressing hash table from a long key to a long value, with an optional byte per slot. Built for the prefix
 * index's two big maps, where memory per entry and cache misses per operation are the budget:
 * <ul>
 *   <li>key and value are interleaved in one array, so a probe and the value read touch one cache line; the optional
 *       byte (a block's tiers) lives in the same array too, one long after every 4 slots ({@code [k0 v0 k1 v1 k2 v2 k3
 *       v3 bytes]}, 18 bytes a slot), because a separate byte[] costs one more cache and TLB miss per operation;</li>
 *   <li>linear probing with backward-shift deletion: no tombstones, so steady insert/evict churn never degrades it;</li>
 *   <li>the capacity is not a power of two (the home slot is a multiply-high range reduction), so the table grows to
 *       a {@value #GROWN_LOAD} load instead of doubling and stays between {@value #GROWN_LOAD} and {@value #MAX_LOAD}
 *       full: fast probes at a bounded memory cost.</li>
 * </ul>
 * Key 0 marks an empty slot, so it lives in one extra slot past the end (index {@code capacity}).
 *
 * <p>Slot indexes are valid until the next insert (which may resize) or removal (which may shift entries). Not
 * thread-safe: {@link PrefixIndex} serialises writers and excludes readers.
 */
final class LongPairTable {
    /**
     * Linear probing gets slow past ~70% (a miss or a removal walks ~6 slots at 0.7, ~13 at 0.8, crossing into cache
     * lines nobody touched); 55% after growth keeps the worst case under 64 bytes per index entry.
     */
    static final double MAX_LOAD = 0.7;
    static final double GROWN_LOAD = 0.55;
    private static final long PHI = 0x9E3779B97F4A7C15L;
    private static final int MIN_CAPACITY = 8;

    private final boolean withAux;
    /** -1 with the aux bytes (a long after every 4 slots), 0 without: see {@link #at}. */
    private final int groupMask;
    private long[] slots;
    private int capacity;
    private int size;
    private int growAt;
    private boolean hasZero;

    LongPairTable(int expected, boolean withAux) {
        this.withAux = withAux;
        this.groupMask = withAux ? -1 : 0;
        allocate(capacityFor(expected));
    }

    private static int capacityFor(int entries) {
        return (int) Math.max(MIN_CAPACITY, Math.ceil(entries / GROWN_LOAD));
    }

    private void allocate(int cap) {
        long length = withAux ? 9L * ((cap + 4L) >> 2) : 2L * (cap + 1);
        if (length > Integer.MAX_VALUE - 16) {
            throw new IllegalStateException("table too large: " + cap + " slots");
        }
        capacity = cap;
        slots = new long[(int) length];
        growAt = (int) Math.min(cap - 1L, (long) (cap * MAX_LOAD));
    }

    /** Index of the slot's key (its value follows): 2·slot, plus one aux long per preceding group of 4 if any. */
    private int at(int slot) {
        return (slot << 1) + ((slot >> 2) & groupMask);
    }

    /** Index of the long holding the aux bytes of the slot's group: right after the group's fourth slot. */
    private int auxAt(int slot) {
        return at(slot | 3) + 2;
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
        return slot == capacity ? hasZero : slots[at(slot)] != 0L;
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
            long k = s[at(i)];
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
     * Reads the key's home slot and the next cache line for no other purpose than pulling them in: a caller with
     * many keys touches them all first, in a loop whose loads do not depend on each other, so that their misses
     * overlap (Java has no prefetch instruction). The result must be consumed, or the JIT drops the loads.
     */
    long touch(long key) {
        int home = home(key, capacity);
        // The next line too: a probe run, and the backward shift of a removal, often continue into it.
        int next = home + 4 < capacity ? home + 4 : home + 4 - capacity;
        return slots[at(home)] + slots[at(next)] + (withAux ? slots[auxAt(home)] : 0L);
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
            long k = s[at(i)];
            if (k == key) {
                return i;
            }
            if (k == 0L) {
                s[at(i)] = key;
                size++;
                return ~i;
            }
            if (++i == cap) {
                i = 0;
            }
        }
    }

    long keyAt(int slot) {
        return slot == capacity ? 0L : slots[at(slot)];
    }

    long value(int slot) {
        return slots[at(slot) + 1];
    }

    void setValue(int slot, long value) {
        slots[at(slot) + 1] = value;
    }

    int aux(int slot) {
        return (int) (slots[auxAt(slot)] >>> ((slot & 3) << 3)) & 0xFF;
    }

    void setAux(int slot, int value) {
        int p = auxAt(slot);
        int shift = (slot & 3) << 3;
        slots[p] = (slots[p] & ~(0xFFL << shift)) | ((value & 0xFFL) << shift);
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
            long k = s[at(j)];
            if (k == 0L) {
                break;
            }
            // The entry at j may fill the gap only if the gap lies between its home and j (cyclically).
            int h = home(k, cap);
            int toGap = gap - h < 0 ? gap - h + cap : gap - h;
            int toJ = j - h < 0 ? j - h + cap : j - h;
            if (toGap < toJ) {
                s[at(gap)] = k;
                s[at(gap) + 1] = s[at(j) + 1];
                if (withAux) {
                    setAux(gap, aux(j));
                }
                gap = j;
            }
        }
        clearSlot(gap);
    }

    private void clearSlot(int slot) {
        slots[at(slot)] = 0L;
        slots[at(slot) + 1] = 0L;
        if (withAux) {
            setAux(slot, 0);
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
        return 16L + 8L * slots.length + 40L;
    }

    private void resize(int newCap) {
        long[] old = slots;
        int oldCap = capacity;
        allocate(newCap);
        long[] s = slots;
        for (int i = 0; i <= oldCap; i++) {
            // at() does not depend on the capacity, so it indexes the old array too.
            long k = old[at(i)];
            if (k == 0L && i < oldCap) {
                continue;
            }
            int j = newCap; // the zero key keeps its reserved slot, now at the new capacity
            if (i < oldCap) {
                j = home(k, newCap);
                while (s[at(j)] != 0L) {
                    if (++j == newCap) {
                        j = 0;
                    }
                }
            }
            s[at(j)] = k;
            s[at(j) + 1] = old[at(i) + 1];
            if (withAux) {
                setAux(j, (int) (old[auxAt(i)] >>> ((i & 3) << 3)) & 0xFF);
            }
        }
    }
}
