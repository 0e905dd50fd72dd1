package io.kvrelay.http.frames;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import java.nio.charset.StandardCharsets;

/**
 * The wire format of kvrelay's binary calls between its own parts (today the router's prefix-match calls to
 * stream-app): length-prefixed frames on a plain TCP connection that carries many calls at once, answered in any
 * order.
 *
 * <pre>
 * frame:   u32 length (of what follows) | u32 call id | u8 kind | payload
 * request: kind = the method (1..127); payload = the method's request
 * answer:  kind = 0x80 | {@link FrameStatus} code; payload = the method's answer (OK) or a UTF-8 message
 * </pre>
 * Big-endian. Call ids are the caller's (unique among its calls in flight on the connection); the server echoes
 * them. A frame longer than the receiver's limit closes the connection (its calls fail {@code UNAVAILABLE}).
 *
 * <p>Why not gRPC: it was the first choice and measured; per call, its HTTP/2 framing, headers and call machinery
 * cost the router and stream-app more CPU than the whole rest of a routing decision (README, "Router over HTTP").
 * The calls here need none of it: one peer kind, one message each way, no metadata.
 */
public final class Frames {
    /** Bytes before the payload, the length field included. */
    static final int HEADER = 4 + 4 + 1;
    static final int ANSWER = 0x80;

    private Frames() {
    }

    /** Splits the stream into frames of at most {@code maxFrameBytes} (header excluded), the length field dropped. */
    static LengthFieldBasedFrameDecoder decoder(int maxFrameBytes) {
        return new LengthFieldBasedFrameDecoder(maxFrameBytes + HEADER - 4, 0, 4, 0, 4);
    }

    static ByteBuf frame(ByteBufAllocator alloc, int id, int kind, byte[] payload) {
        ByteBuf b = alloc.ioBuffer(HEADER + payload.length);
        b.writeInt(HEADER - 4 + payload.length).writeInt(id).writeByte(kind).writeBytes(payload);
        return b;
    }

    static ByteBuf error(ByteBufAllocator alloc, int id, FrameStatus status, String message) {
        return frame(alloc, id, ANSWER | status.code,
                message == null ? new byte[0] : message.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] payload(ByteBuf frame) {
        byte[] p = new byte[frame.readableBytes()];
        frame.readBytes(p);
        return p;
    }
}
