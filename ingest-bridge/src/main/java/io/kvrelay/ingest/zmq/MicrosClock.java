package io.kvrelay.ingest.zmq;

import java.time.Instant;

/** Wall-clock time in microseconds since the epoch, the unit of every timestamp in the records. */
public final class MicrosClock {
    private MicrosClock() {
    }

    public static long now() {
        Instant i = Instant.now();
        return i.getEpochSecond() * 1_000_000L + i.getNano() / 1_000;
    }
}
