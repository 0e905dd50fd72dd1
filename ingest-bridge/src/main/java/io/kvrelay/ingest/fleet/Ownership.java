package io.kvrelay.ingest.fleet;

import io.kvrelay.schemas.PodKey;

/** Which pods this bridge runs, of all the fleet's. */
public interface Ownership {

    boolean owns(PodKey pod);

    /** A bridge alone: it runs every pod. */
    Ownership WHOLE_FLEET = pod -> true;
}
