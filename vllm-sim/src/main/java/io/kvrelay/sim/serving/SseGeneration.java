package io.kvrelay.sim.serving;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvrelay.http.Reply;
import java.nio.charset.StandardCharsets;

/**
 * A streamed answer (server-sent events, as vLLM's {@code "stream": true}): each chunk is sent as the engine produces
 * its token, {@code data: [DONE]} ends it. A client that goes cancels the request, so its slot and gauges are freed
 * at once instead of decoding for nobody.
 */
final class SseGeneration implements GenerationListener, Reply.StreamBody {
    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);

    private final ServingEngine engine;
    private final GenerationRequest request;
    private final ResponseShapes shapes;
    private final ResponseShapes.Api api;
    private final ObjectMapper json;
    private volatile Reply.StreamSink sink;
    private volatile ServingEngine.Generation generation;
    private volatile boolean clientGone;

    SseGeneration(ServingEngine engine, GenerationRequest request, ResponseShapes.Api api, ResponseShapes shapes,
                  ObjectMapper json) {
        this.engine = engine;
        this.request = request;
        this.api = api;
        this.shapes = shapes;
        this.json = json;
    }

    @Override
    public void start(Reply.StreamSink s) {
        this.sink = s;
        generation = engine.submit(request.prompt(), request.maxTokens(), this);
        s.onClientGone(this::cancel);
        if (clientGone) {
            cancel(); // a send failed before the generation was known
        }
    }

    @Override
    public void onToken(int index, int tokenId, String text, boolean last, Usage usageSoFar) {
        if (index == 0 && api == ResponseShapes.Api.CHAT) {
            send(shapes.roleChunk(request.includeUsage()));
        }
        send(shapes.tokenChunk(text, last ? ResponseShapes.FINISH_REASON : null, request.includeUsage()));
    }

    @Override
    public void onFinished(Usage usage) {
        if (request.includeUsage()) {
            send(shapes.usageChunk(usage));
        }
        sink.send(DONE);
        sink.end();
    }

    @Override
    public void onFailed(Throwable cause) {
        // vLLM reports a failure inside a stream as an error event, then ends it as usual.
        send(OpenAiError.internal(String.valueOf(cause.getMessage())).body());
        sink.send(DONE);
        sink.end();
    }

    private void send(Object chunk) {
        byte[] data;
        try {
            data = json.writeValueAsBytes(chunk);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a chunk could not be encoded", e);
        }
        byte[] event = new byte[data.length + 8];
        System.arraycopy("data: ".getBytes(StandardCharsets.US_ASCII), 0, event, 0, 6);
        System.arraycopy(data, 0, event, 6, data.length);
        event[event.length - 2] = '\n';
        event[event.length - 1] = '\n';
        if (!sink.send(event)) {
            cancel();
        }
    }

    private void cancel() {
        clientGone = true;
        ServingEngine.Generation g = generation;
        if (g != null) {
            g.cancel();
        }
    }
}
