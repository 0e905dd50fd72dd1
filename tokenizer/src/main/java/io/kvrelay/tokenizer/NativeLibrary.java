package io.kvrelay.tokenizer;

import java.nio.file.Path;

/**
 * DJL's rules for the tokenizers' native library, made kvrelay's: never download (the library is in the jar, for this
 * platform), and extract it under the temporary directory unless the operator chose a place (DJL's default is the
 * user's home, which a container's user may not have).
 */
final class NativeLibrary {
    private NativeLibrary() {
    }

    static synchronized void offline() {
        System.setProperty("ai.djl.offline", "true");
        if (System.getProperty("DJL_CACHE_DIR") == null && System.getenv("DJL_CACHE_DIR") == null) {
            System.setProperty("DJL_CACHE_DIR", Path.of(System.getProperty("java.io.tmpdir"), "kvrelay-djl")
                    .toString());
        }
    }
}
