package io.kvrelay.ingest.decode;

/**
 * The payload is not a vLLM event batch this decoder can read. The message names the problem and where it was found
 * (for example "event 2: BlockStored.block_hashes: expected array, got STRING"); the caller dead-letters the raw frames.
 */
public final class DecodeException extends Exception {
    public DecodeException(String message) {
        super(message);
    }

    public DecodeException(String message, Throwable cause) {
        super(message, cause);
    }
}
