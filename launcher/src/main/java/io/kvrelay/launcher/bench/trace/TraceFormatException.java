package io.kvrelay.launcher.bench.trace;

import java.io.IOException;

/** A trace file that cannot be read as the Mooncake format; the message names the file and line. */
public final class TraceFormatException extends IOException {
    public TraceFormatException(String source, int line, String problem) {
        super(source + " line " + line + ": " + problem);
    }
}
