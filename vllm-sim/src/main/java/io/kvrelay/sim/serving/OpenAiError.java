package io.kvrelay.sim.serving;

import io.kvrelay.http.Reply;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A failed OpenAI API request, answered in vLLM's shape ({@code {"error":{"message","type","param","code"}}}) rather
 * than kvrelay's own, so clients written against vLLM parse it.
 */
final class OpenAiError extends RuntimeException {
    private final int status;
    private final String type;

    private OpenAiError(int status, String type, String message) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
    }

    static OpenAiError badRequest(String message) {
        return new OpenAiError(400, "BadRequestError", message);
    }

    static OpenAiError unknownModel(String model) {
        return new OpenAiError(404, "NotFoundError", "The model `" + model + "` does not exist.");
    }

    static OpenAiError internal(String message) {
        return new OpenAiError(500, "InternalServerError", message);
    }

    /** The error object (also what a failed stream sends as its last event). */
    Map<String, Object> body() {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("message", getMessage());
        error.put("type", type);
        error.put("param", null);
        error.put("code", status);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("error", error);
        return out;
    }

    Reply reply() {
        return Reply.of(status, body());
    }
}
