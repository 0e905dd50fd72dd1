package io.kvrelay.http.frames;

/** A framed call that did not end {@link FrameStatus#OK}; stackless, as it is routine while a server restarts. */
public final class FrameException extends RuntimeException {
    private final FrameStatus status;

    public FrameException(FrameStatus status, String message) {
        super(status + (message == null || message.isEmpty() ? "" : ": " + message), null, false, false);
        this.status = status;
    }

    public FrameStatus status() {
        return status;
    }
}
