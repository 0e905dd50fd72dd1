package io.kvrelay.router.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import io.kvrelay.router.decide.RouteResult;
import io.kvrelay.router.scoring.PodScorer;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Writes the {@code /v1/route} answer (its schema: {@code RouteResponse} in {@code router-api/openapi.yaml}) with a
 * streaming generator: the maps it was built from, one per candidate, and their serialization were a large share of
 * the router's JSON time per request.
 */
final class RouteAnswerJson {
    /** Three costs per candidate pod: JDK double formatting was a tenth of the event loop's time per answer. */
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(com.fasterxml.jackson.core.StreamWriteFeature.USE_FAST_DOUBLE_WRITER).build();

    private RouteAnswerJson() {
    }

    static byte[] write(RouteResult res) {
        ByteArrayBuilder out = new ByteArrayBuilder(512 + 256 * res.candidates().size());
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            g.writeStartObject();
            g.writeFieldName("pod");
            if (res.pod() == null) {
                g.writeNull();
            } else {
                g.writeStartObject();
                g.writeStringField("name", res.pod().pod());
                g.writeNumberField("index", res.pod().podIndex() == null ? -1 : res.pod().podIndex());
                g.writeStringField("address", res.pod().address() == null ? "" : res.pod().address());
                g.writeEndObject();
            }
            g.writeFieldName("predictedTtftMs");
            if (res.score() == null) {
                g.writeNull();
            } else {
                g.writeNumber(res.score().cost());
            }
            g.writeNumberField("matchedBlocks", res.matchedBlocks());
            g.writeNumberField("totalBlocks", res.totalBlocks());
            g.writeBooleanField("sticky", res.sticky());
            g.writeStringField("reason", res.reason());
            g.writeStringField("linkOutcome", res.linkOutcome());
            g.writeBooleanField("redisAvailable", res.redisAvailable());
            g.writeBooleanField("indexAvailable", res.indexAvailable());
            g.writeBooleanField("stale", res.stale());
            g.writeNumberField("stateAgeMs", res.stateAgeMs());
            g.writeArrayFieldStart("candidates");
            for (PodScorer.Score s : res.candidates()) {
                g.writeStartObject();
                g.writeStringField("pod", s.pod().pod());
                g.writeNumberField("matched", s.matched());
                g.writeNumberField("gpuMatched", s.gpuMatched());
                g.writeNumberField("memoryMatched", s.memoryMatched());
                g.writeNumberField("cost", s.cost());
                g.writeNumberField("queuedMs", s.queuedMs());
                g.writeNumberField("prefillMs", s.prefillMs());
                g.writeBooleanField("overloaded", s.overloaded());
                g.writeBooleanField("stale", s.pod().stale());
                g.writeBooleanField("suspect", s.pod().suspect());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeNumberField("latencyMicros", res.latencyMicros());
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory failed", e);
        }
        return out.toByteArray();
    }
}
