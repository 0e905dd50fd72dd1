package io.kvrelay.stream.index;

/** Receives one worker's entries from {@link PrefixIndex#forEach}; runs under the read lock, so it must not mutate. */
@FunctionalInterface
public interface EntryConsumer {
    void accept(long engineHash, long blockKey, int tiers);
}
