package io.kvrelay.http.frames;

/**
 * How a framed call ended, as the answer frame's kind byte says ({@code 0x80 | code}). The codes mean what gRPC's
 * statuses of the same names mean, so a caller maps them the same way: only {@link #UNAVAILABLE} and
 * {@link #DEADLINE_EXCEEDED} are worth trying again elsewhere.
 */
public enum FrameStatus {
    OK(0),
    /** The server cannot answer now (starting, rebalancing, restoring), or the connection failed. */
    UNAVAILABLE(1),
    /** The request was malformed: asking again will not help. */
    INVALID_ARGUMENT(2),
    NOT_FOUND(3),
    /** The server does not have the method (an older server). */
    UNIMPLEMENTED(4),
    /** The server failed answering: a bug, logged there. */
    INTERNAL(5),
    /** No answer within the caller's deadline (set by the client, never sent). */
    DEADLINE_EXCEEDED(6);

    final int code;

    FrameStatus(int code) {
        this.code = code;
    }

    static FrameStatus of(int code) {
        for (FrameStatus s : values()) {
            if (s.code == code) {
                return s;
            }
        }
        return INTERNAL;
    }
}
