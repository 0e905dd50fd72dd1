package io.kvrelay.router.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.io.SerializedString;
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

    /* Field names encoded once: written per candidate pod, encoding them each time was the answer's largest cost. */
    private static final SerializedString F_ADDRESS = new SerializedString("address");
    private static final SerializedString F_CANDIDATES = new SerializedString("candidates");
    private static final SerializedString F_COST = new SerializedString("cost");
    private static final SerializedString F_GPU_MATCHED = new SerializedString("gpuMatched");
    private static final SerializedString F_INDEX = new SerializedString("index");
    private static final SerializedString F_INDEX_AVAILABLE = new SerializedString("indexAvailable");
    private static final SerializedString F_LATENCY_MICROS = new SerializedString("latencyMicros");
    private static final SerializedString F_LINK_OUTCOME = new SerializedString("linkOutcome");
    private static final SerializedString F_MATCHED = new SerializedString("matched");
    private static final SerializedString F_MATCHED_BLOCKS = new SerializedString("matchedBlocks");
    private static final SerializedString F_MEMORY_MATCHED = new SerializedString("memoryMatched");
    private static final SerializedString F_NAME = new SerializedString("name");
    private static final SerializedString F_OVERLOADED = new SerializedString("overloaded");
    private static final SerializedString F_POD = new SerializedString("pod");
    private static final SerializedString F_PREDICTED_TTFT_MS = new SerializedString("predictedTtftMs");
    private static final SerializedString F_PREFILL_MS = new SerializedString("prefillMs");
    private static final SerializedString F_QUEUED_MS = new SerializedString("queuedMs");
    private static final SerializedString F_REASON = new SerializedString("reason");
    private static final SerializedString F_REDIS_AVAILABLE = new SerializedString("redisAvailable");
    private static final SerializedString F_STALE = new SerializedString("stale");
    private static final SerializedString F_STATE_AGE_MS = new SerializedString("stateAgeMs");
    private static final SerializedString F_STICKY = new SerializedString("sticky");
    private static final SerializedString F_SUSPECT = new SerializedString("suspect");
    private static final SerializedString F_TOTAL_BLOCKS = new SerializedString("totalBlocks");

    private RouteAnswerJson() {
    }

    /** @param listed how many of the ranked candidates to list, best first (the decision log keeps them all) */
    static byte[] write(RouteResult res, int listed) {
        int n = Math.min(listed, res.candidates().size());
        ByteArrayBuilder out = new ByteArrayBuilder(512 + 256 * n);
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            g.writeStartObject();
            g.writeFieldName(F_POD);
            if (res.pod() == null) {
                g.writeNull();
            } else {
                g.writeStartObject();
                string(g, F_NAME, res.pod().pod());
                number(g, F_INDEX, res.pod().podIndex() == null ? -1 : res.pod().podIndex());
                string(g, F_ADDRESS, res.pod().address() == null ? "" : res.pod().address());
                g.writeEndObject();
            }
            g.writeFieldName(F_PREDICTED_TTFT_MS);
            if (res.score() == null) {
                g.writeNull();
            } else {
                g.writeNumber(res.score().cost());
            }
            number(g, F_MATCHED_BLOCKS, res.matchedBlocks());
            number(g, F_TOTAL_BLOCKS, res.totalBlocks());
            bool(g, F_STICKY, res.sticky());
            string(g, F_REASON, res.reason());
            string(g, F_LINK_OUTCOME, res.linkOutcome());
            bool(g, F_REDIS_AVAILABLE, res.redisAvailable());
            bool(g, F_INDEX_AVAILABLE, res.indexAvailable());
            bool(g, F_STALE, res.stale());
            number(g, F_STATE_AGE_MS, res.stateAgeMs());
            g.writeFieldName(F_CANDIDATES);
            g.writeStartArray();
            for (PodScorer.Score s : res.candidates().subList(0, n)) {
                g.writeStartObject();
                string(g, F_POD, s.pod().pod());
                number(g, F_MATCHED, s.matched());
                number(g, F_GPU_MATCHED, s.gpuMatched());
                number(g, F_MEMORY_MATCHED, s.memoryMatched());
                number(g, F_COST, s.cost());
                number(g, F_QUEUED_MS, s.queuedMs());
                number(g, F_PREFILL_MS, s.prefillMs());
                bool(g, F_OVERLOADED, s.overloaded());
                bool(g, F_STALE, s.pod().stale());
                bool(g, F_SUSPECT, s.pod().suspect());
                g.writeEndObject();
            }
            g.writeEndArray();
            number(g, F_LATENCY_MICROS, res.latencyMicros());
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory failed", e);
        }
        return out.toByteArray();
    }

    private static void number(JsonGenerator g, SerializedString field, long v) throws IOException {
        g.writeFieldName(field);
        g.writeNumber(v);
    }

    private static void number(JsonGenerator g, SerializedString field, double v) throws IOException {
        g.writeFieldName(field);
        g.writeNumber(v);
    }

    private static void string(JsonGenerator g, SerializedString field, String v) throws IOException {
        g.writeFieldName(field);
        g.writeString(v);
    }

    private static void bool(JsonGenerator g, SerializedString field, boolean v) throws IOException {
        g.writeFieldName(field);
        g.writeBoolean(v);
    }
}
